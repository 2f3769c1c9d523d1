//! The HTTP API (axum): thin handlers translating requests into calls to
//! [`crate::ledger`] and [`crate::governance`]. Routes are registered
//! through utoipa-axum, so the OpenAPI document at `/api/openapi.json` is
//! generated from this code. The server serves these
//! routes beside the site's.

mod drafts;
pub mod error;
mod extract;
mod governance;
mod routes;

use axum::Router;
use axum::extract::FromRef;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::desk::Desk;
use crate::governance::Governance;
use crate::ledger::Ledger;

pub use self::routes::not_found;

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

/// The API's routes (the OpenAPI document at `/api/openapi.json`, the
/// tiles included) for any application state that holds the ledger and its
/// governance, and the document itself.
pub fn router<S>() -> (Router<S>, utoipa::openapi::OpenApi)
where
    S: Clone + Send + Sync + 'static,
    Ledger: FromRef<S>,
    Governance: FromRef<S>,
    Desk: FromRef<S>,
{
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::routes())
        .merge(governance::routes())
        .merge(drafts::routes())
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let spec = published_document(&doc);
    let router = router
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let spec = spec.clone();
                async move { axum::Json(spec) }
            }),
        )
        .route("/tile/{*path}", routes::tile_route());
    (router, doc)
}

/// The OpenAPI document as served. Statement payloads refuse unknown
/// fields, which utoipa writes as `additionalProperties: false`; where such
/// a schema is one part of an `allOf` (a view that flattens a payload and
/// adds its own fields), that would forbid the other parts' fields, so it
/// is dropped there.
fn published_document(doc: &utoipa::openapi::OpenApi) -> serde_json::Value {
    use serde_json::Value;
    fn parts_of_all_of(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Array(parts)) = map.get("allOf") {
                    for part in parts {
                        if let Some(Value::String(r)) = part.get("$ref")
                            && let Some(name) = r.strip_prefix("#/components/schemas/")
                        {
                            found.push(name.to_owned());
                        }
                    }
                }
                map.values().for_each(|v| parts_of_all_of(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| parts_of_all_of(v, found)),
            _ => {}
        }
    }
    let mut spec = serde_json::to_value(doc).unwrap_or(Value::Null);
    let mut parts = Vec::new();
    parts_of_all_of(&spec, &mut parts);
    if let Some(Value::Object(schemas)) = spec.pointer_mut("/components/schemas") {
        for name in parts {
            if let Some(Value::Object(schema)) = schemas.get_mut(&name) {
                schema.remove("additionalProperties");
            }
        }
    }
    spec
}
