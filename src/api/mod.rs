//! The HTTP API (axum): thin handlers translating requests into calls to
//! [`crate::ledger`]. Routes are registered through utoipa-axum, so the
//! OpenAPI document at `/api/openapi.json` is generated from this code.

pub mod error;
mod governance;
mod routes;

use std::future::Future;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::governance::Governance;
use crate::ledger::Ledger;

/// What every handler can reach: the log and its governance state.
#[derive(Clone)]
pub struct AppState {
    /// The log.
    pub ledger: Ledger,
    /// The governance rules and state.
    pub governance: Governance,
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

/// Largest request body read at all; anything between the envelope limit
/// and this is refused with a JSON 413 by the handler.
const BODY_LIMIT: usize = 1024 * 1024;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "prasasti",
        description = "Programme-continuity governance ledger: signed statements in an append-only, verifiable Merkle log (RFC 9162, C2SP checkpoints and tiles).",
        license(name = "Apache-2.0")
    ),
    paths(routes::tile),
    components(schemas(error::ErrorBody, error::ErrorDetail))
)]
struct ApiDoc;

/// The application's routes and its OpenAPI document.
pub fn router(app: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::routes())
        .merge(governance::routes())
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let spec = doc.clone();
    let router = router
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let spec = spec.clone();
                async move { axum::Json(spec) }
            }),
        )
        .route("/tile/{*path}", routes::tile_route())
        .merge(crate::web::router())
        .fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(app);
    (router, doc)
}

/// Serves the ledger on `listener` until `shutdown` completes, then finishes
/// the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (app, _) = router(app);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
