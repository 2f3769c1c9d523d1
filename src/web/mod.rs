//! The public transparency site: server-rendered HTML in Bahasa Indonesia
//! and English, from the same state the API serves. Templates are compiled
//! into the binary (maud escapes every value it prints); the stylesheet is
//! served from the binary too, so the site works with no internet.

mod data;
pub mod i18n;
mod pages;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use axum::extract::FromRef;

use crate::governance::Governance;
use crate::ledger::Ledger;

/// The stylesheet of every page.
pub const STYLESHEET: &str = include_str!("site.css");
/// The in-browser verifier of the Verifikasi page.
pub const VERIFY_SCRIPT: &str = include_str!("verify.js");
/// Byte helpers shared by the site's scripts.
pub const BYTES_SCRIPT: &str = include_str!("bytes.js");
/// The signing desk's script.
pub const DESK_SCRIPT: &str = include_str!("meja.js");

/// The address the public reaches the site at (such as
/// `https://prasasti.karanganyarkab.go.id`), for absolute links in feeds;
/// `None` makes them relative to the site's root.
#[derive(Clone, Debug, Default)]
pub struct PublicUrl(pub Option<String>);

/// The site's routes, for any application state that holds the ledger, its
/// governance and the public address.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Ledger: FromRef<S>,
    Governance: FromRef<S>,
    PublicUrl: FromRef<S>,
{
    Router::new()
        .route("/", get(pages::home))
        .route("/program", get(pages::programmes))
        .route("/program/{id}", get(pages::programme))
        .route("/kesinambungan", get(pages::continuity))
        .route("/ledger", get(pages::ledger))
        .route("/ledger/{index}", get(pages::entry))
        .route("/verifikasi", get(pages::verification))
        .route("/meja", get(pages::desk))
        .route("/data/{name}", get(data::dataset))
        .route("/feed.atom", get(data::ledger_feed))
        .route("/program/{id}/feed.atom", get(data::programme_feed))
        .route(
            "/static/site.css",
            get(|| asset("text/css; charset=utf-8", STYLESHEET)),
        )
        .route(
            "/static/verify.js",
            get(|| asset("text/javascript; charset=utf-8", VERIFY_SCRIPT)),
        )
        .route(
            "/static/bytes.js",
            get(|| asset("text/javascript; charset=utf-8", BYTES_SCRIPT)),
        )
        .route(
            "/static/meja.js",
            get(|| asset("text/javascript; charset=utf-8", DESK_SCRIPT)),
        )
        // Pages are in the language the browser asks for: caches must keep
        // one copy per language.
        .layer(tower_http::set_header::SetResponseHeaderLayer::appending(
            header::VARY,
            HeaderValue::from_static("Accept-Language"),
        ))
}

async fn asset(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}
