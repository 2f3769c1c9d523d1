//! The API's error policy: user errors carry a stable `code` and a message
//! saying which rule failed; internal errors become a generic 500 whose
//! cause is logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::ledger::LedgerError;
use crate::ledger::rules::RefusalKind;
use crate::ledger::statement::EnvelopeError;

/// An error answer: `{"error":{"code":"…","message":"…"}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Option<serde_json::Value>,
    retry_after: Option<u64>,
}

/// The JSON body of every error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, such as `invalid_signature`.
    pub code: String,
    /// Human-readable explanation naming the rule that failed.
    pub message: String,
    /// Structured details of a governance refusal: the field at fault, the
    /// office needed, what the signatures proved, missing ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    /// An error with the given status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    /// Its machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// 503 `busy`: the server limits this kind of work; ask again after
    /// `seconds` (sent as `Retry-After`).
    pub fn busy(message: impl Into<String>, seconds: u64) -> ApiError {
        let mut error = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message);
        error.retry_after = Some(seconds);
        error
    }

    /// 429 `rate_limited`: this client sent too many requests; ask again
    /// after `seconds` (sent as `Retry-After`).
    pub fn rate_limited(seconds: u64) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many submissions from this address; try again in {seconds} s"),
        );
        error.retry_after = Some(seconds);
        error
    }

    /// The same error with structured details.
    pub fn with_details(mut self, details: Option<serde_json::Value>) -> ApiError {
        self.details = details;
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body's error part.
    pub fn detail(&self) -> ErrorDetail {
        ErrorDetail {
            code: self.code.to_owned(),
            message: self.message.clone(),
            details: self.details.clone(),
        }
    }

    /// 400 with the given code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404 with the given code.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    /// A 500 whose cause is logged and not disclosed.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the cause is in the server log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                details: self.details,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<EnvelopeError> for ApiError {
    fn from(e: EnvelopeError) -> ApiError {
        let status = match e {
            EnvelopeError::TooLarge(_) | EnvelopeError::EntryTooLarge(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            EnvelopeError::Malformed(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        ApiError::internal(e)
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> ApiError {
        match e {
            LedgerError::Envelope(e) => e.into(),
            LedgerError::Conflict { .. } => {
                ApiError::new(StatusCode::CONFLICT, "statement_id_conflict", e.to_string())
            }
            LedgerError::Refused(refusal) => {
                let status = match refusal.kind {
                    RefusalKind::Unauthorized => StatusCode::FORBIDDEN,
                    RefusalKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                };
                let mut error = ApiError::new(status, refusal.code(), refusal.message);
                error.details = Some(refusal.details);
                error
            }
            LedgerError::GenesisWithoutLedgerSignature { .. } => ApiError::new(
                StatusCode::FORBIDDEN,
                "missing_ledger_signature",
                e.to_string(),
            ),
            LedgerError::OutOfRange(m) => ApiError::bad_request("out_of_range", m),
            LedgerError::Closed => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                e.to_string(),
            ),
            other => ApiError::internal(other),
        }
    }
}
