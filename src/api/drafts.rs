//! Handlers of the signing desk: the dry run and the drafts officials
//! co-sign before a statement goes on the ledger (docs/FORMAT.md §9).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, ErrorDetail};
use super::extract::{ApiPath, ApiQuery};
use super::routes::read_envelope;
use crate::desk::{Desk, DeskError, Draft, DraftStatus, Verdict};
use crate::governance::Governance;
use crate::governance::apply::Missing;
use crate::governance::model::StatementType;
use crate::governance::views::Words;
use crate::ledger::statement::EnvelopeSignature;
use crate::ledger::{Ledger, LedgerError};
use crate::store::DraftFilter;

pub(super) fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Ledger: axum::extract::FromRef<S>,
    Desk: axum::extract::FromRef<S>,
    Governance: axum::extract::FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(statement_types))
        .routes(routes!(statement_words))
        .routes(routes!(check_entry))
        .routes(routes!(open_draft, list_drafts))
        .routes(routes!(get_draft))
        .routes(routes!(sign_draft))
        .routes(routes!(withdraw_draft))
}

impl From<DeskError> for ApiError {
    fn from(e: DeskError) -> ApiError {
        let e = match e {
            DeskError::Envelope(e) => return ApiError::from(e),
            DeskError::Ledger(e) => return ApiError::from(e),
            DeskError::Store(_) | DeskError::Internal(_) => return ApiError::internal(e),
            refusal => refusal,
        };
        let status = match &e {
            DeskError::Envelope(_)
            | DeskError::Ledger(_)
            | DeskError::Store(_)
            | DeskError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            DeskError::NoMandate => StatusCode::FORBIDDEN,
            DeskError::NotASigner(_) => StatusCode::FORBIDDEN,
            DeskError::DraftExists(_) | DeskError::InLedger(_) | DeskError::Changed => {
                StatusCode::CONFLICT
            }
            DeskError::TooManyDrafts(_) => StatusCode::TOO_MANY_REQUESTS,
            DeskError::NotFound(_) => StatusCode::NOT_FOUND,
            DeskError::NotPending { status, .. } => match status {
                DraftStatus::Expired => StatusCode::GONE,
                _ => StatusCode::CONFLICT,
            },
            DeskError::AlreadySigned(_) | DeskError::NotNeeded { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
        };
        let details = match &e {
            DeskError::DraftExists(id) => Some(serde_json::json!({ "draft": id })),
            DeskError::InLedger(index) => Some(serde_json::json!({ "entry": index })),
            DeskError::NotPending { entry, .. } => Some(serde_json::json!({ "entry": entry })),
            DeskError::NotNeeded { missing, .. } => Some(serde_json::json!({ "missing": missing })),
            _ => None,
        };
        ApiError::new(status, e.code(), e.to_string()).with_details(details)
    }
}

/// One statement type, for the desk's forms.
#[derive(Serialize, ToSchema)]
pub struct StatementTypeInfo {
    /// The `type`, such as `commitment.make`.
    #[serde(rename = "type")]
    pub statement_type: String,
    /// JSON Schema of its fields (besides `type`, `ledger` and `id`).
    #[schema(value_type = Object)]
    pub schema: serde_json::Value,
    /// Its fields with placeholder values (`prasasti template`).
    #[schema(value_type = Object)]
    pub template: serde_json::Value,
}

/// Every statement type with the schema of its fields.
#[derive(Serialize, ToSchema)]
pub struct StatementTypes {
    /// The types, in the order the ledger documents them.
    pub types: Vec<StatementTypeInfo>,
    /// The named schemas the fields refer to (`#/schemas/NAME`).
    #[schema(value_type = Object)]
    pub schemas: serde_json::Map<String, serde_json::Value>,
}

/// Every statement type and the JSON Schema of its fields: what the
/// signing desk builds its forms from.
#[utoipa::path(
    get,
    path = "/api/v1/statement-types",
    tag = "desk",
    responses((status = 200, body = StatementTypes))
)]
async fn statement_types() -> Json<StatementTypes> {
    Json(statement_type_list())
}

fn statement_type_list() -> StatementTypes {
    let types = StatementType::ALL
        .iter()
        .map(|t| StatementTypeInfo {
            statement_type: t.as_str().to_owned(),
            schema: json(&t.schema()),
            template: t.template(),
        })
        .collect();
    let schemas = StatementType::schemas()
        .into_iter()
        .map(|(name, schema)| (name, json(&schema)))
        .collect();
    StatementTypes { types, schemas }
}

/// A schema as JSON (a schema always serializes).
fn json(schema: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(schema).unwrap_or(serde_json::Value::Null)
}

/// What a statement says, in words (Bahasa Indonesia and English), as the
/// desk shows it before signing and the site shows entries.
#[utoipa::path(
    post,
    path = "/api/v1/statements/words",
    tag = "desk",
    request_body(content = Object, description = "A statement object", content_type = "application/json"),
    responses((status = 200, body = Words), (status = 400, body = ErrorBody))
)]
async fn statement_words(
    State(governance): State<Governance>,
    body: Result<Json<serde_json::Map<String, serde_json::Value>>, JsonRejection>,
) -> Result<Json<Words>, ApiError> {
    let statement = json_body(body)?;
    let folded = governance.current().await?;
    Ok(Json(folded.state.words_of(&statement)))
}

/// What a dry run found.
#[derive(Serialize, ToSchema)]
pub struct CheckResponse {
    /// Whether appending the envelope now would be accepted.
    pub acceptable: bool,
    /// The entry the identical envelope already is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<u64>,
    /// The refusal an append would meet: the same code, message and
    /// details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
    /// The HTTP status an append would answer with that refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What the signatures lack, when only signatures are wanting.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<Missing>,
}

impl CheckResponse {
    fn refused(error: ApiError) -> Result<Json<CheckResponse>, ApiError> {
        if error.status().is_server_error() {
            return Err(error);
        }
        Ok(Json(CheckResponse {
            acceptable: false,
            entry: None,
            status: Some(error.status().as_u16()),
            error: Some(error.detail()),
            missing: Vec::new(),
        }))
    }
}

/// Dry run: would this envelope be appended now? Nothing is written. The
/// refusal is the one `POST /api/v1/entries` would answer, in the body.
#[utoipa::path(
    post,
    path = "/api/v1/entries/check",
    tag = "desk",
    request_body(content = Object, description = "A DSSE envelope", content_type = "application/json"),
    responses((status = 200, body = CheckResponse), (status = 500, body = ErrorBody))
)]
async fn check_entry(
    State(ledger): State<Ledger>,
    State(desk): State<Desk>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CheckResponse>, ApiError> {
    let envelope = match read_envelope(&ledger, &headers, body).await {
        Ok(envelope) => envelope,
        Err(error) => return CheckResponse::refused(error),
    };
    match desk.check(&envelope).await {
        Ok(Verdict::Acceptable) => Ok(Json(CheckResponse {
            acceptable: true,
            entry: None,
            error: None,
            status: None,
            missing: Vec::new(),
        })),
        Ok(Verdict::InLog(index)) => Ok(Json(CheckResponse {
            acceptable: true,
            entry: Some(index),
            error: None,
            status: None,
            missing: Vec::new(),
        })),
        Ok(Verdict::Lacking {
            refusal, missing, ..
        }) => {
            let Ok(Json(mut response)) =
                CheckResponse::refused(LedgerError::Refused(refusal).into())
            else {
                return Err(ApiError::internal("a refusal became a server error"));
            };
            response.missing = missing;
            Ok(Json(response))
        }
        Err(e) => CheckResponse::refused(e.into()),
    }
}

/// Open a draft with an envelope signed at least once by a key holding a
/// current mandate (or a registrar's). Appended at once when complete.
#[utoipa::path(
    post,
    path = "/api/v1/drafts",
    tag = "desk",
    request_body(content = Object, description = "A DSSE envelope", content_type = "application/json"),
    responses(
        (status = 201, description = "Opened (`pending`), or complete and appended (`submitted`)", body = Draft),
        (status = 400, body = ErrorBody),
        (status = 403, description = "No signer holds an office (`signer_without_mandate`), or `missing_ledger_signature`", body = ErrorBody),
        (status = 409, description = "`draft_exists`, `already_in_ledger` or `statement_id_conflict`", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "The envelope or the statement breaks a rule no signature can mend", body = ErrorBody),
        (status = 429, description = "`too_many_drafts` for this key, or `rate_limited`", body = ErrorBody)
    )
)]
async fn open_draft(
    State(ledger): State<Ledger>,
    State(desk): State<Desk>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let envelope = read_envelope(&ledger, &headers, body).await?;
    let draft = desk.open(envelope).await?;
    Ok((StatusCode::CREATED, Json(draft)).into_response())
}

/// Which drafts to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DraftParams {
    /// Only drafts concerning this office (signed for it, or waiting for
    /// it); `registrars` for drafts waiting for the registrars.
    office: Option<String>,
    /// Only drafts in this state.
    status: Option<DraftStatus>,
}

/// Drafts, newest first (at most 200).
#[utoipa::path(
    get,
    path = "/api/v1/drafts",
    tag = "desk",
    params(DraftParams),
    responses((status = 200, body = Vec<Draft>), (status = 400, body = ErrorBody))
)]
async fn list_drafts(
    State(desk): State<Desk>,
    ApiQuery(params): ApiQuery<DraftParams>,
) -> Result<Json<Vec<Draft>>, ApiError> {
    let filter = DraftFilter {
        status: params.status.map(|s| s.as_str().to_owned()),
        office: params.office,
        created_by: None,
    };
    Ok(Json(desk.list(&filter).await?))
}

/// One draft.
#[utoipa::path(
    get,
    path = "/api/v1/drafts/{id}",
    tag = "desk",
    params(("id" = String, Path, description = "Draft id")),
    responses((status = 200, body = Draft), (status = 404, body = ErrorBody))
)]
async fn get_draft(
    State(desk): State<Desk>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Draft>, ApiError> {
    Ok(Json(desk.get(&id).await?))
}

/// A DSSE signature: `keyid` (hex public key) and `sig` (base64).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureRequest {
    /// The signer's Ed25519 public key, 64 lowercase hex digits.
    pub keyid: String,
    /// Base64 of the 64-byte Ed25519 signature.
    pub sig: String,
}

impl From<SignatureRequest> for EnvelopeSignature {
    fn from(SignatureRequest { keyid, sig }: SignatureRequest) -> EnvelopeSignature {
        EnvelopeSignature { keyid, sig }
    }
}

fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(t)| t)
        .map_err(|e| ApiError::bad_request("malformed_request", e.body_text()))
}

/// Co-sign a draft: a DSSE signature over the draft's exact payload. The
/// draft is judged again and appended once nothing is missing.
#[utoipa::path(
    post,
    path = "/api/v1/drafts/{id}/signatures",
    tag = "desk",
    params(("id" = String, Path, description = "Draft id")),
    request_body = SignatureRequest,
    responses(
        (status = 200, description = "Added; `submitted` with `entry` once complete", body = Draft),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`draft_withdrawn`, `draft_submitted` or `draft_changed`", body = ErrorBody),
        (status = 410, description = "`draft_expired`", body = ErrorBody),
        (status = 422, description = "`invalid_signature`, `duplicate_key`, or `signature_not_needed`: the key meets nothing the draft lacks", body = ErrorBody)
    )
)]
async fn sign_draft(
    State(desk): State<Desk>,
    ApiPath(id): ApiPath<String>,
    body: Result<Json<SignatureRequest>, JsonRejection>,
) -> Result<Json<Draft>, ApiError> {
    Ok(Json(desk.sign(&id, json_body(body)?.into()).await?))
}

/// Withdraw a pending draft, signed by one of its signers over the
/// withdrawal message (docs/FORMAT.md §9).
#[utoipa::path(
    post,
    path = "/api/v1/drafts/{id}/withdraw",
    tag = "desk",
    params(("id" = String, Path, description = "Draft id")),
    request_body = SignatureRequest,
    responses(
        (status = 200, description = "Withdrawn", body = Draft),
        (status = 400, body = ErrorBody),
        (status = 403, description = "`not_a_signer`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 410, body = ErrorBody),
        (status = 422, description = "`invalid_signature`", body = ErrorBody)
    )
)]
async fn withdraw_draft(
    State(desk): State<Desk>,
    ApiPath(id): ApiPath<String>,
    body: Result<Json<SignatureRequest>, JsonRejection>,
) -> Result<Json<Draft>, ApiError> {
    Ok(Json(desk.withdraw(&id, json_body(body)?.into()).await?))
}
