//! Handlers of the log API, the checkpoint and the tiles.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use crate::ledger::statement::{MAX_ENVELOPE_BYTES, VerifiedEnvelope};
use crate::ledger::{Appended, Ledger};
use crate::store::StoredEntry;
use crate::tlog::bundle::ProofBundle;
use crate::tlog::hash::Hash;
use crate::tlog::tile::Tile;

/// Most entries one page of `GET /api/v1/entries` returns.
pub const MAX_PAGE: u64 = 1000;

pub(super) fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Ledger: axum::extract::FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(submit_entry, list_entries))
        .routes(routes!(get_entry))
        .routes(routes!(get_entry_proof))
        .routes(routes!(inclusion_proof))
        .routes(routes!(consistency_proof))
        .routes(routes!(log_info))
        .routes(routes!(healthz))
        .routes(routes!(metrics))
        .routes(routes!(checkpoint))
}

/// Tile paths contain slashes, so the route is a wildcard that utoipa cannot
/// express; its documentation is added to the OpenAPI document separately.
pub(super) fn tile_route<S>() -> axum::routing::MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Ledger: axum::extract::FromRef<S>,
{
    axum::routing::get(tile)
}

/// The answer to a path nothing serves: `404 not_found`.
pub async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such resource")
}

/// An accepted entry, with a checkpoint covering it and its inclusion proof.
#[derive(Serialize, ToSchema)]
pub struct SubmitResponse {
    /// Index of the entry.
    pub index: u64,
    /// Its leaf hash, base64.
    pub leaf_hash: String,
    /// The entry; its RFC 8785 canonical JSON is the Merkle leaf.
    #[schema(value_type = Object)]
    pub entry: Box<serde_json::value::RawValue>,
    /// Size of the tree the checkpoint and proof are for.
    pub tree_size: u64,
    /// A C2SP signed checkpoint covering the entry.
    pub checkpoint: String,
    /// Inclusion proof of the entry in the checkpoint's tree, base64 hashes, sibling first.
    pub inclusion_proof: Vec<String>,
}

/// One entry.
#[derive(Serialize, ToSchema)]
pub struct EntryResponse {
    /// Index of the entry.
    pub index: u64,
    /// Its leaf hash, base64.
    pub leaf_hash: String,
    /// The entry; its RFC 8785 canonical JSON is the Merkle leaf.
    #[schema(value_type = Object)]
    pub entry: Box<serde_json::value::RawValue>,
}

/// A page of entries.
#[derive(Serialize, ToSchema)]
pub struct EntryPage {
    /// The entries, in index order.
    pub entries: Vec<EntryResponse>,
    /// Index to ask for next, absent at the end of the log.
    pub next: Option<u64>,
}

/// An inclusion proof.
#[derive(Serialize, ToSchema)]
pub struct InclusionProofResponse {
    /// Index of the entry.
    pub index: u64,
    /// Size of the tree.
    pub tree_size: u64,
    /// Root hash of that tree, base64.
    pub root_hash: String,
    /// Proof hashes, base64, sibling first.
    pub hashes: Vec<String>,
}

/// A consistency proof.
#[derive(Serialize, ToSchema)]
pub struct ConsistencyProofResponse {
    /// Old tree size.
    pub old: u64,
    /// New tree size.
    pub new: u64,
    /// Proof hashes, base64.
    pub hashes: Vec<String>,
}

/// The log's identity and current state.
#[derive(Serialize, ToSchema)]
pub struct LogInfo {
    /// The log's origin, also its key name.
    pub origin: String,
    /// C2SP verifier key of the log.
    pub verifier_key: String,
    /// Size of the latest checkpoint.
    pub tree_size: u64,
    /// Root hash of the latest checkpoint, base64.
    pub root_hash: String,
    /// The published checkpoint when the log has a witness policy: the
    /// newest one the policy's quorum cosigned (`null` until one is, and
    /// without a policy).
    pub witnessed: Option<WitnessedInfo>,
    /// The witness policy (c2sp.org/tlog-policy), when the log has one.
    pub witness_policy: Option<String>,
    /// The policy's witnesses and what each last said to this server.
    pub witnesses: Vec<WitnessInfo>,
}

/// The newest witnessed checkpoint.
#[derive(Serialize, ToSchema)]
pub struct WitnessedInfo {
    /// Its tree size.
    pub tree_size: u64,
    /// Its root hash, base64.
    pub root_hash: String,
    /// When its cosignatures met the quorum (RFC 3339 UTC).
    pub witnessed_at: String,
}

/// One witness of the policy.
#[derive(Serialize, ToSchema)]
pub struct WitnessInfo {
    /// Its name in the policy.
    pub name: String,
    /// Its verifier key (cosignature/v1).
    pub verifier_key: String,
    /// Where the log asks it.
    pub url: Option<String>,
    /// The largest size of this log it is known to have cosigned.
    pub cosigned_size: Option<u64>,
    /// When it last cosigned (RFC 3339 UTC).
    pub last_cosigned_at: Option<String>,
    /// When it last answered this server (RFC 3339 UTC).
    pub last_answer_at: Option<String>,
    /// What went wrong on the last request, if it did.
    pub problem: Option<WitnessProblemInfo>,
}

/// Why a witness did not cosign.
#[derive(Serialize, ToSchema)]
pub struct WitnessProblemInfo {
    /// `alarm` (it refused the log's history) or `unreachable`.
    pub kind: String,
    /// What happened.
    pub message: String,
    /// Since when (RFC 3339 UTC).
    pub since: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageParams {
    /// First index (default 0).
    start: Option<u64>,
    /// Entries per page, 1 to 1000 (default 100).
    limit: Option<u64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct InclusionParams {
    /// Entry index.
    index: u64,
    /// Tree size; at most the latest checkpoint's size.
    tree_size: u64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ConsistencyParams {
    /// Old tree size, at least 1.
    old: u64,
    /// New tree size, at most the latest checkpoint's size.
    new: u64,
}

fn b64(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(Hash::to_base64).collect()
}

/// An entry's bytes, embedded in an answer as they are: they are canonical
/// JSON already, so they need no parsing into a value and writing again.
fn entry_json(bytes: &[u8]) -> Result<Box<serde_json::value::RawValue>, ApiError> {
    let text = String::from_utf8(bytes.to_vec()).map_err(ApiError::internal)?;
    serde_json::value::RawValue::from_string(text).map_err(ApiError::internal)
}

impl EntryResponse {
    fn from_stored(e: StoredEntry) -> Result<EntryResponse, ApiError> {
        Ok(EntryResponse {
            index: e.index,
            leaf_hash: e.leaf_hash.to_base64(),
            entry: entry_json(&e.body)?,
        })
    }
}

/// Submit a signed statement.
///
/// The body is a DSSE envelope. It is answered once the entry is durable
/// and covered by a signed checkpoint. Resubmitting the identical envelope
/// answers 200 with the existing entry.
#[utoipa::path(
    post,
    path = "/api/v1/entries",
    tag = "log",
    request_body(content = crate::ledger::statement::Envelope, content_type = "application/json"),
    responses(
        (status = 201, description = "Appended", body = SubmitResponse),
        (status = 200, description = "The identical envelope was already in the log", body = SubmitResponse),
        (status = 400, description = "Not a DSSE envelope", body = ErrorBody),
        (status = 403, description = "The signatures do not prove the authority the statement needs (`unauthorized_signer`)", body = ErrorBody),
        (status = 409, description = "The statement id is used by a different envelope", body = ErrorBody),
        (status = 413, description = "Envelope over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "A statement rule failed (`invalid_statement` names the field for governance rules)", body = ErrorBody),
    )
)]
async fn submit_entry(
    State(ledger): State<Ledger>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let envelope = read_envelope(&ledger, &headers, body)
        .await
        .inspect_err(|e| crate::metrics::metrics().refusals.inc(&[e.code()]))?;
    let appended: Appended = ledger.submit(envelope).await?;
    let status = if appended.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let response = SubmitResponse {
        index: appended.index,
        leaf_hash: appended.leaf_hash.to_base64(),
        entry: entry_json(&appended.entry)?,
        tree_size: appended.tree_size,
        checkpoint: appended.checkpoint,
        inclusion_proof: b64(&appended.inclusion_proof),
    };
    Ok((status, Json(response)).into_response())
}

/// Reads and checks a posted envelope: JSON, within the size limit, every
/// signature valid (checked on the blocking pool).
pub(super) async fn read_envelope(
    ledger: &Ledger,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<VerifiedEnvelope, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the envelope as application/json",
        ));
    }
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "envelope_too_large",
                "the envelope is over 65536 bytes",
            )
        } else {
            ApiError::bad_request("malformed_envelope", e.body_text())
        }
    })?;
    if body.len() > MAX_ENVELOPE_BYTES {
        return Err(crate::ledger::statement::EnvelopeError::TooLarge(body.len()).into());
    }
    let envelope: crate::ledger::statement::Envelope = serde_json::from_slice(&body)
        .map_err(|e| crate::ledger::statement::EnvelopeError::Malformed(e.to_string()))?;
    // Checking signatures is the heaviest work of a request: the ledger's
    // checker does it off the async workers, in batches with the
    // signatures of other requests arriving at the same time.
    Ok(ledger.check_envelope(envelope).await?)
}

/// List entries, in index order.
#[utoipa::path(
    get,
    path = "/api/v1/entries",
    tag = "log",
    params(PageParams),
    responses((status = 200, body = EntryPage), (status = 400, body = ErrorBody))
)]
async fn list_entries(
    State(ledger): State<Ledger>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<EntryPage>, ApiError> {
    let start = params.start.unwrap_or(0);
    let limit = params.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_parameters",
            format!("limit must be 1 to {MAX_PAGE}"),
        ));
    }
    let size = ledger.latest_checkpoint().await?.tree_size;
    let rows = if start < size {
        ledger
            .store()
            .entries(start, limit.min(size - start))
            .await?
    } else {
        Vec::new()
    };
    let next = rows.last().map(|e| e.index + 1).filter(|n| *n < size);
    let entries = rows
        .into_iter()
        .map(EntryResponse::from_stored)
        .collect::<Result<_, _>>()?;
    Ok(Json(EntryPage { entries, next }))
}

async fn stored_entry(ledger: &Ledger, index: u64) -> Result<StoredEntry, ApiError> {
    let size = ledger.latest_checkpoint().await?.tree_size;
    let missing = || {
        ApiError::not_found(
            "entry_not_found",
            format!("there is no entry {index}; the log has {size}"),
        )
    };
    if index >= size {
        return Err(missing());
    }
    ledger.store().entry(index).await?.ok_or_else(missing)
}

/// Get one entry.
#[utoipa::path(
    get,
    path = "/api/v1/entries/{index}",
    tag = "log",
    params(("index" = u64, Path, description = "Entry index")),
    responses((status = 200, body = EntryResponse), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
async fn get_entry(
    State(ledger): State<Ledger>,
    ApiPath(index): ApiPath<u64>,
) -> Result<Json<EntryResponse>, ApiError> {
    Ok(Json(EntryResponse::from_stored(
        stored_entry(&ledger, index).await?,
    )?))
}

/// Get an offline-verifiable proof of an entry (c2sp.org/tlog-proof@v1)
/// against the published (witnessed) checkpoint once it covers the entry,
/// else the latest signed one.
#[utoipa::path(
    get,
    path = "/api/v1/entries/{index}/proof",
    tag = "proofs",
    params(("index" = u64, Path, description = "Entry index")),
    responses(
        (status = 200, description = "tlog-proof text", content_type = "text/plain; charset=utf-8", body = String),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
async fn get_entry_proof(
    State(ledger): State<Ledger>,
    ApiPath(index): ApiPath<u64>,
) -> Result<Response, ApiError> {
    stored_entry(&ledger, index).await?;
    let checkpoint = ledger.checkpoint_covering(index).await?;
    let (hashes, _) = ledger.inclusion_proof(index, checkpoint.tree_size).await?;
    let bundle = ProofBundle {
        extra: None,
        index,
        hashes,
        checkpoint: checkpoint.note,
    };
    Ok(text(bundle.to_text(), "no-cache"))
}

/// Get an inclusion proof.
#[utoipa::path(
    get,
    path = "/api/v1/proofs/inclusion",
    tag = "proofs",
    params(InclusionParams),
    responses((status = 200, body = InclusionProofResponse), (status = 400, body = ErrorBody))
)]
async fn inclusion_proof(
    State(ledger): State<Ledger>,
    ApiQuery(p): ApiQuery<InclusionParams>,
) -> Result<Json<InclusionProofResponse>, ApiError> {
    let (hashes, root) = ledger.inclusion_proof(p.index, p.tree_size).await?;
    Ok(Json(InclusionProofResponse {
        index: p.index,
        tree_size: p.tree_size,
        root_hash: root.to_base64(),
        hashes: b64(&hashes),
    }))
}

/// Get a consistency proof.
#[utoipa::path(
    get,
    path = "/api/v1/proofs/consistency",
    tag = "proofs",
    params(ConsistencyParams),
    responses((status = 200, body = ConsistencyProofResponse), (status = 400, body = ErrorBody))
)]
async fn consistency_proof(
    State(ledger): State<Ledger>,
    ApiQuery(p): ApiQuery<ConsistencyParams>,
) -> Result<Json<ConsistencyProofResponse>, ApiError> {
    let hashes = ledger.consistency_proof(p.old, p.new).await?;
    Ok(Json(ConsistencyProofResponse {
        old: p.old,
        new: p.new,
        hashes: b64(&hashes),
    }))
}

/// The log's identity and latest tree head.
#[utoipa::path(get, path = "/api/v1/log", tag = "log", responses((status = 200, body = LogInfo)))]
async fn log_info(State(ledger): State<Ledger>) -> Result<Json<LogInfo>, ApiError> {
    let checkpoint = ledger.latest_checkpoint().await?;
    let mut info = LogInfo {
        origin: ledger.origin().to_owned(),
        verifier_key: ledger.verifier().to_vkey_string(),
        tree_size: checkpoint.tree_size,
        root_hash: checkpoint.root.to_base64(),
        witnessed: None,
        witness_policy: None,
        witnesses: Vec::new(),
    };
    if let Some(witnessing) = ledger.witnessing() {
        let published = ledger.published_checkpoint().await?;
        let status = witnessing.status_with(ledger.verifier(), published.as_ref());
        info.witness_policy = Some(witnessing.policy().to_text());
        info.witnesses = witnessing
            .policy()
            .witnesses
            .iter()
            .zip(status)
            .map(|(w, s)| WitnessInfo {
                name: s.name,
                verifier_key: w.key.to_vkey_string(),
                url: s.url,
                cosigned_size: s.cosigned_size,
                last_cosigned_at: s.last_cosigned_at,
                last_answer_at: s.last_answer_at,
                problem: s.problem.map(|p| WitnessProblemInfo {
                    kind: p.kind.to_owned(),
                    message: p.message,
                    since: p.since,
                }),
            })
            .collect();
        info.witnessed = published.map(|p| WitnessedInfo {
            tree_size: p.tree_size,
            root_hash: p.root.to_base64(),
            witnessed_at: p.signed_at,
        });
    }
    Ok(Json(info))
}

/// Liveness and database check.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = String), (status = 503, body = ErrorBody)))]
async fn healthz(State(ledger): State<Ledger>) -> Result<&'static str, ApiError> {
    ledger.latest_checkpoint().await.map_err(|e| {
        // The cause (which may name the database) goes to the log only.
        tracing::error!(error = %e, "health check failed");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unhealthy",
            "the database does not answer; the cause is in the server log",
        )
    })?;
    Ok("ok\n")
}

/// The server's metrics in the Prometheus text format: the append pipeline,
/// refusals by code, tree sizes, HTTP requests by route and status.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, content_type = "text/plain; version=0.0.4; charset=utf-8", body = String))
)]
async fn metrics() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        crate::metrics::metrics().render(),
    )
        .into_response()
}

/// The published checkpoint (C2SP tlog-checkpoint in a signed note): the
/// latest signed one or, when the log has a witness policy, the latest one
/// the policy's quorum cosigned, with the cosignature lines.
#[utoipa::path(
    get,
    path = "/checkpoint",
    tag = "tiles",
    responses(
        (status = 200, content_type = "text/plain; charset=utf-8", body = String),
        (status = 503, description = "No checkpoint has been witnessed yet", body = ErrorBody)
    )
)]
async fn checkpoint(State(ledger): State<Ledger>) -> Result<Response, ApiError> {
    match ledger.published_checkpoint().await? {
        Some(published) => Ok(text(published.note, "no-cache")),
        None => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_witnessed_yet",
            "no checkpoint has been cosigned by the witness policy's quorum yet; GET /api/v1/log shows each witness's state",
        )),
    }
}

/// A C2SP tlog-tiles tile: `tile/<L>/<N>[.p/<W>]` hashes or
/// `tile/entries/<N>[.p/<W>]` entry bundles. Full tiles never change.
#[utoipa::path(
    get,
    path = "/tile/{path}",
    tag = "tiles",
    params(("path" = String, Path, description = "Tile path, such as 0/x001/234.p/5 or entries/000")),
    responses(
        (status = 200, content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub(super) async fn tile(
    State(ledger): State<Ledger>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    let tile = Tile::parse_path(&path)
        .map_err(|e| ApiError::bad_request("invalid_tile_path", e.to_string()))?;
    let bytes = ledger.tile(tile).await?.ok_or_else(|| {
        ApiError::not_found(
            "tile_not_found",
            format!("the log does not have {tile} yet"),
        )
    })?;
    let cache = if tile.is_full() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        bytes,
    )
        .into_response())
}

fn text(body: String, cache: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        body,
    )
        .into_response()
}
