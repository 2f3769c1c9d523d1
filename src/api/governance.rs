//! Handlers of the governance read API: the state hash, programmes,
//! commitments, milestones, offices, mandates, keys and the continuity report.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use crate::governance::state::Charter;
use crate::governance::views::*;
use crate::governance::{Folded, Governance, StateHashError};
use crate::ledger::Ledger;

pub(super) fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Ledger: axum::extract::FromRef<S>,
    Governance: axum::extract::FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(state_hash))
        .routes(routes!(charter))
        .routes(routes!(programmes))
        .routes(routes!(programme))
        .routes(routes!(programme_notes))
        .routes(routes!(programme_entries))
        .routes(routes!(commitment))
        .routes(routes!(commitment_notes))
        .routes(routes!(milestone))
        .routes(routes!(offices))
        .routes(routes!(office))
        .routes(routes!(mandate))
        .routes(routes!(key))
        .routes(routes!(continuity))
}

/// The governance state's hash at a tree size.
#[derive(Serialize, ToSchema)]
pub struct StateHash {
    /// Entries folded.
    pub tree_size: u64,
    /// SHA-256 of the RFC 8785 form of the state, hex.
    pub state_hash: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct StateParams {
    /// Tree size (default: the latest checkpoint's).
    tree_size: Option<u64>,
}

/// The current governance state, read for a request.
struct Current(Arc<Folded>);

impl<S> FromRequestParts<S> for Current
where
    Governance: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Ok(Current(Governance::from_ref(state).current().await?))
    }
}

/// The view of the object `id` of kind `what`, or `404 not_found`.
fn found<T>(what: &str, id: &str, view: Option<T>) -> Result<Json<T>, ApiError> {
    view.map(Json)
        .ok_or_else(|| ApiError::not_found("not_found", format!("there is no {what} {id:?}")))
}

/// The state hash at a tree size; `prasasti verify` recomputes it.
#[utoipa::path(
    get,
    path = "/api/v1/state",
    tag = "governance",
    params(StateParams),
    responses(
        (status = 200, body = StateHash),
        (status = 400, body = ErrorBody),
        (status = 503, description = "Another state hash is being computed (`busy`, with `Retry-After`); ask again", body = ErrorBody)
    )
)]
async fn state_hash(
    State(ledger): State<Ledger>,
    State(governance): State<Governance>,
    ApiQuery(params): ApiQuery<StateParams>,
) -> Result<Json<StateHash>, ApiError> {
    let size = ledger.latest_checkpoint().await?.tree_size;
    let wanted = params.tree_size.unwrap_or(size);
    if wanted > size {
        return Err(ApiError::bad_request(
            "out_of_range",
            format!("tree size {wanted} is beyond the latest checkpoint's size {size}"),
        ));
    }
    let hash = governance.state_hash(wanted).await.map_err(|e| match e {
        StateHashError::Busy => ApiError::busy(e.to_string(), 1),
        StateHashError::Store(e) => ApiError::internal(e),
    })?;
    Ok(Json(StateHash {
        tree_size: wanted,
        state_hash: hash.to_hex(),
    }))
}

/// The ledger's charter: government, registrars and pillars.
#[utoipa::path(
    get,
    path = "/api/v1/charter",
    tag = "governance",
    responses((status = 200, body = Charter), (status = 404, body = ErrorBody))
)]
async fn charter(Current(now): Current) -> Result<Json<Charter>, ApiError> {
    let charter = now.state.charter.clone();
    charter
        .map(Json)
        .ok_or_else(|| ApiError::not_found("not_found", "the ledger has no genesis yet"))
}

/// Programmes, filtered and paged.
#[utoipa::path(
    get,
    path = "/api/v1/programmes",
    tag = "governance",
    params(ProgrammeFilter),
    responses((status = 200, body = ProgrammePage), (status = 400, body = ErrorBody))
)]
async fn programmes(
    Current(now): Current,
    ApiQuery(filter): ApiQuery<ProgrammeFilter>,
) -> Result<Json<ProgrammePage>, ApiError> {
    Ok(Json(now.state.programme_page(&filter)))
}

/// A programme with its commitments, milestones, audit notes and entries.
#[utoipa::path(
    get,
    path = "/api/v1/programmes/{id}",
    tag = "governance",
    params(("id" = String, Path, description = "Programme id")),
    responses((status = 200, body = ProgrammeView), (status = 404, body = ErrorBody))
)]
async fn programme(
    Current(now): Current,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ProgrammeView>, ApiError> {
    found("programme", &id, now.state.programme_view(&id, Utc::now()))
}

/// Every audit note about a programme or anything in it, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/programmes/{id}/audit-notes",
    tag = "governance",
    params(("id" = String, Path, description = "Programme id"), Paging),
    responses((status = 200, body = AuditNotePage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn programme_notes(
    Current(now): Current,
    ApiPath(id): ApiPath<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<AuditNotePage>, ApiError> {
    found("programme", &id, now.state.programme_notes(&id, paging))
}

/// Every entry that concerned a programme or anything in it, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/programmes/{id}/entries",
    tag = "governance",
    params(("id" = String, Path, description = "Programme id"), Paging),
    responses((status = 200, body = EntryIndexPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn programme_entries(
    Current(now): Current,
    ApiPath(id): ApiPath<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<EntryIndexPage>, ApiError> {
    found("programme", &id, now.state.programme_entries(&id, paging))
}

/// Every audit note about a commitment or its milestones, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/commitments/{id}/audit-notes",
    tag = "governance",
    params(("id" = String, Path, description = "Commitment id"), Paging),
    responses((status = 200, body = AuditNotePage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn commitment_notes(
    Current(now): Current,
    ApiPath(id): ApiPath<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<AuditNotePage>, ApiError> {
    found("commitment", &id, now.state.commitment_notes(&id, paging))
}

/// A commitment with its versions, history and milestones.
#[utoipa::path(
    get,
    path = "/api/v1/commitments/{id}",
    tag = "governance",
    params(("id" = String, Path, description = "Commitment id")),
    responses((status = 200, body = CommitmentView), (status = 404, body = ErrorBody))
)]
async fn commitment(
    Current(now): Current,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CommitmentView>, ApiError> {
    found(
        "commitment",
        &id,
        now.state.commitment_view(&id, Utc::now()),
    )
}

/// A milestone with its reports and approvals.
#[utoipa::path(
    get,
    path = "/api/v1/milestones/{id}",
    tag = "governance",
    params(("id" = String, Path, description = "Milestone id")),
    responses((status = 200, body = MilestoneView), (status = 404, body = ErrorBody))
)]
async fn milestone(
    Current(now): Current,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<MilestoneView>, ApiError> {
    found("milestone", &id, now.state.milestone_view(&id, Utc::now()))
}

/// Every office with its holders.
#[utoipa::path(
    get,
    path = "/api/v1/offices",
    tag = "governance",
    responses((status = 200, body = Vec<OfficeView>))
)]
async fn offices(Current(folded): Current) -> Result<Json<Vec<OfficeView>>, ApiError> {
    let (state, now) = (&folded.state, Utc::now());
    let mut list: Vec<OfficeView> = state
        .offices
        .keys()
        .filter_map(|id| state.office_view(id, now))
        .collect();
    list.sort_by_key(|o| o.office.established.entry);
    Ok(Json(list))
}

/// An office and its holders over time.
#[utoipa::path(
    get,
    path = "/api/v1/offices/{id}",
    tag = "governance",
    params(("id" = String, Path, description = "Office id")),
    responses((status = 200, body = OfficeView), (status = 404, body = ErrorBody))
)]
async fn office(
    Current(now): Current,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<OfficeView>, ApiError> {
    found("office", &id, now.state.office_view(&id, Utc::now()))
}

/// A mandate with its keys.
#[utoipa::path(
    get,
    path = "/api/v1/mandates/{id}",
    tag = "governance",
    params(("id" = String, Path, description = "Mandate id")),
    responses((status = 200, body = MandateView), (status = 404, body = ErrorBody))
)]
async fn mandate(
    Current(now): Current,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<MandateView>, ApiError> {
    found("mandate", &id, now.state.mandate_view(&id, Utc::now()))
}

/// A key, its mandates and its revocation.
#[utoipa::path(
    get,
    path = "/api/v1/keys/{keyid}",
    tag = "governance",
    params(("keyid" = String, Path, description = "Ed25519 public key, 64 lowercase hex digits")),
    responses((status = 200, body = KeyView), (status = 404, body = ErrorBody))
)]
async fn key(
    Current(now): Current,
    ApiPath(keyid): ApiPath<String>,
) -> Result<Json<KeyView>, ApiError> {
    found("key", &keyid, now.state.key_view(&keyid))
}

/// The continuity report: each head-of-region term and what it did with
/// the commitments it inherited.
#[utoipa::path(
    get,
    path = "/api/v1/continuity",
    tag = "governance",
    responses((status = 200, body = Continuity))
)]
async fn continuity(Current(folded): Current) -> Result<Json<Continuity>, ApiError> {
    Ok(Json(folded.state.continuity(folded.size, Utc::now())))
}
