//! The server: the application state, the API's and the site's routes
//! composed under one set of limits and security headers, and the
//! connection loop with its timeouts. `api` and `web` are siblings below it.

pub mod limits;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;

use crate::desk::{Desk, DeskLimits};
use crate::governance::Governance;
use crate::ledger::Ledger;

pub use self::limits::Limits;

/// What every handler can reach: the log, its governance state, the
/// signing desk and the server's settings. A clone (every request takes a
/// few) is one shared reference; the parts are reached through it.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

/// The parts of an [`AppState`].
pub struct AppParts {
    /// The log.
    pub ledger: Ledger,
    /// The governance rules and state.
    pub governance: Governance,
    /// Drafts at the signing desk.
    pub desk: Desk,
    /// How the server is set up.
    pub config: ServerConfig,
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

impl AppState {
    /// The application with the default settings.
    pub fn new(ledger: Ledger, governance: Governance) -> AppState {
        AppState::with_config(ledger, governance, ServerConfig::default())
    }

    /// The application with `config`.
    pub fn with_config(ledger: Ledger, governance: Governance, config: ServerConfig) -> AppState {
        AppState(Arc::new(AppParts {
            desk: Desk::new(ledger.clone(), governance.clone(), config.desk.clone()),
            ledger,
            governance,
            config,
        }))
    }
}

/// How a server is set up.
#[derive(Clone, Debug, Default)]
pub struct ServerConfig {
    /// Timeouts and budgets.
    pub limits: Limits,
    /// The address the public reaches the site at, such as
    /// `https://prasasti.karanganyarkab.go.id`: links in feeds are made
    /// from it, never from a request's `Host` header. Without it, links
    /// are relative to the site's root.
    pub public_url: Option<String>,
    /// The signing desk's limits.
    pub desk: DeskLimits,
}

impl axum::extract::FromRef<AppState> for Ledger {
    fn from_ref(state: &AppState) -> Ledger {
        state.ledger.clone()
    }
}

impl axum::extract::FromRef<AppState> for Governance {
    fn from_ref(state: &AppState) -> Governance {
        state.governance.clone()
    }
}

impl axum::extract::FromRef<AppState> for Desk {
    fn from_ref(state: &AppState) -> Desk {
        state.desk.clone()
    }
}

impl axum::extract::FromRef<AppState> for crate::web::PublicUrl {
    fn from_ref(state: &AppState) -> crate::web::PublicUrl {
        crate::web::PublicUrl(state.config.public_url.clone())
    }
}

/// Largest request body read at all; anything between the envelope limit
/// and this is refused with a JSON 413 by the handler.
const BODY_LIMIT: usize = 1024 * 1024;

/// The application's routes (API and site) with the server's limits, and
/// the OpenAPI document.
pub fn router(app: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (api, doc) = crate::api::router::<AppState>();
    let limits = &app.config.limits;
    let in_flight = limits::InFlight(Arc::new(tokio::sync::Semaphore::new(limits.max_in_flight)));
    let budget = limits::SubmissionBudget::new(limits.submissions_per_minute);
    let router = api
        .merge(crate::web::router())
        .route_layer(axum::middleware::from_fn(limits::count_requests))
        .fallback(crate::api::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            budget,
            limits::limit_submissions,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            in_flight,
            limits::limit_in_flight,
        ))
        .layer(axum::middleware::from_fn(limits::security_headers))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(app);
    (router, doc)
}

/// Serves the ledger on `listener` until `shutdown` completes, then finishes
/// the requests in flight. Connections that do not send their headers within
/// [`Limits::header_read_timeout`] are closed; at most
/// [`Limits::max_connections`] are open at once.
pub async fn serve(
    listener: TcpListener,
    app: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use tower::ServiceExt as _;

    let limits = app.config.limits.clone();
    let (router, _) = router(app);
    let connections = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let Ok(permit) = connections.clone().acquire_owned().await else {
            break;
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = router.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo::<SocketAddr>(peer));
                request
            },
        );
        let service = hyper_util::service::TowerToHyperService::new(service);
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }
    graceful.shutdown().await;
    Ok(())
}
