//! A witness (c2sp.org/tlog-witness): it cosigns a log's checkpoint only
//! after checking it is consistent with the last one it cosigned for that
//! log, and remembers it, so it never cosigns two histories. It witnesses
//! any C2SP log whose key it is given, not only prasasti.
//!
//! `POST /add-checkpoint` judges the request ([`crate::tlog::witness`]),
//! moves the stored checkpoint forward with a conditional update (two
//! requests from the same size cannot both win), and only then answers
//! with the cosignature line.

pub mod demo;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::ledger::entry::format_time;
use crate::store::{Store, StoreError, WitnessHead};
use crate::tlog::cosignature::Cosigner;
use crate::tlog::note::NoteVerifier;
use crate::tlog::witness::{AddCheckpoint, Refusal};

/// Largest request body a witness reads: a checkpoint with its signatures
/// and 63 proof lines fit easily.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Why a checkpoint was not cosigned.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// The request is refused, with the status tlog-witness gives it.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A witness: its key, the logs it witnesses and its memory.
#[derive(Clone)]
pub struct Witness {
    inner: Arc<Inner>,
}

struct Inner {
    cosigner: Cosigner,
    logs: Vec<NoteVerifier>,
    store: Store,
}

impl Witness {
    /// A witness signing with `cosigner` for `logs`, remembering in `store`.
    pub fn new(cosigner: Cosigner, logs: Vec<NoteVerifier>, store: Store) -> Witness {
        Witness {
            inner: Arc::new(Inner {
                cosigner,
                logs,
                store,
            }),
        }
    }

    /// Judges an `add-checkpoint` body; the cosignature line when the
    /// checkpoint is cosigned.
    pub async fn add_checkpoint(&self, body: &str) -> Result<String, WitnessError> {
        let request = AddCheckpoint::parse(body)?;
        let inner = &self.inner;
        loop {
            let origin = request.checkpoint.split('\n').next().unwrap_or_default();
            let held = inner.store.witness_head(origin).await?;
            let (checkpoint, text) =
                request.judge(&inner.logs, |_| held.as_ref().map(|h| (h.size, h.root)))?;
            let unchanged = held
                .as_ref()
                .is_some_and(|h| h.size == checkpoint.size && h.root == checkpoint.root);
            if !unchanged {
                let next = WitnessHead {
                    size: checkpoint.size,
                    root: checkpoint.root,
                    checkpoint: request.checkpoint.clone(),
                };
                let now = format_time(Utc::now());
                if !inner
                    .store
                    .advance_witness(origin, held.as_ref(), &next, &now)
                    .await?
                {
                    continue; // another request moved it: judge again
                }
            }
            let time = u64::try_from(Utc::now().timestamp()).unwrap_or_default();
            return Ok(inner.cosigner.cosign(&text, time));
        }
    }

    /// The newest checkpoint this witness cosigned for the log whose
    /// origin hashes (SHA-256, lowercase hex) to `origin_hash`, with a fresh
    /// cosignature by this witness; `None` for a log it never cosigned.
    pub async fn latest(&self, origin_hash: &str) -> Result<Option<String>, WitnessError> {
        use sha2::{Digest, Sha256};
        let inner = &self.inner;
        let Some(log) = inner
            .logs
            .iter()
            .find(|log| hex::encode(Sha256::digest(log.name().as_bytes())) == origin_hash)
        else {
            return Ok(None);
        };
        let Some(head) = inner.store.witness_head(log.name()).await? else {
            return Ok(None);
        };
        let Some((text, _)) = head.checkpoint.split_once("\n\n") else {
            return Ok(None);
        };
        let time = u64::try_from(Utc::now().timestamp()).unwrap_or_default();
        let line = inner.cosigner.cosign(&format!("{text}\n"), time);
        Ok(Some(format!("{}{line}", head.checkpoint)))
    }

    /// The witness's HTTP routes: `POST /add-checkpoint`, and
    /// `GET /<hex SHA-256 of a log's origin>/checkpoint` for monitors.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/add-checkpoint", axum::routing::post(add_checkpoint))
            .route("/{origin_hash}/checkpoint", axum::routing::get(latest))
            .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_BYTES))
            .with_state(self.clone())
    }
}

async fn latest(
    State(witness): State<Witness>,
    axum::extract::Path(origin_hash): axum::extract::Path<String>,
) -> Response {
    match witness.latest(&origin_hash).await {
        Ok(Some(note)) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            note,
        )
            .into_response(),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            "this witness has cosigned no checkpoint of that log\n",
        )
            .into_response(),
        Err(e) => {
            tracing::error!(%e, "the witness's database failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}

async fn add_checkpoint(State(witness): State<Witness>, body: Bytes) -> Response {
    let text_plain = HeaderValue::from_static("text/plain; charset=utf-8");
    let Ok(body) = std::str::from_utf8(&body) else {
        return (StatusCode::BAD_REQUEST, "the request is not UTF-8\n").into_response();
    };
    match witness.add_checkpoint(body).await {
        Ok(line) => ([(header::CONTENT_TYPE, text_plain)], line).into_response(),
        Err(WitnessError::Refused(Refusal::Conflict(size))) => (
            StatusCode::CONFLICT,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/x.tlog.size"),
            )],
            format!("{size}\n"),
        )
            .into_response(),
        Err(WitnessError::Refused(refusal)) => {
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                [(header::CONTENT_TYPE, text_plain)],
                format!("{refusal}\n"),
            )
                .into_response()
        }
        Err(WitnessError::Store(e)) => {
            tracing::error!(%e, "the witness's database failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}
