//! Why the desk refuses: each refusal has a stable code (docs/FORMAT.md §9).

use super::DraftStatus;
use crate::governance::apply::Missing;
use crate::ledger::LedgerError;
use crate::ledger::statement::EnvelopeError;
use crate::store::StoreError;

/// A refusal or failure of the desk.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The envelope breaks a rule of the log (bad signature, wrong ledger…).
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The ledger or its rules refuse it.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// No signer of a new draft holds an office or is a registrar.
    #[error(
        "a draft must be signed by at least one key that holds a current mandate or is a registrar's; none of its keys does"
    )]
    NoMandate,
    /// A pending draft of the same statement exists.
    #[error("statement is already being co-signed in draft {0}; add your signature there")]
    DraftExists(String),
    /// The identical envelope is already on the ledger.
    #[error("the statement is already on the ledger as entry {0}")]
    InLedger(u64),
    /// The opening key has too many pending drafts.
    #[error("this key has {0} pending drafts already; complete or withdraw some first")]
    TooManyDrafts(u64),
    /// No draft has this id.
    #[error("there is no draft {0:?}")]
    NotFound(String),
    /// The draft is no longer waiting for signatures.
    #[error("the draft is {}{}", .status.as_str(), .entry.map(|e| format!(" (entry {e})")).unwrap_or_default())]
    NotPending {
        /// Where it is.
        status: DraftStatus,
        /// Its entry, if submitted.
        entry: Option<u64>,
    },
    /// The key has signed this draft already.
    #[error("key {0} has already signed this draft")]
    AlreadySigned(String),
    /// The signature meets nothing the draft lacks.
    #[error("key {keyid} adds nothing this draft needs; it still needs {}", describe(.missing))]
    NotNeeded {
        /// The key.
        keyid: String,
        /// What the draft lacks.
        missing: Vec<Missing>,
    },
    /// Only a signer of a draft may withdraw it.
    #[error("key {0} has not signed this draft, so it cannot withdraw it")]
    NotASigner(String),
    /// Another change to the draft came first.
    #[error("the draft changed meanwhile; read it again")]
    Changed,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something that cannot happen did.
    #[error("{0}")]
    Internal(String),
}

fn describe(missing: &[Missing]) -> String {
    missing
        .iter()
        .map(|m| m.needed.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

impl DeskError {
    /// The stable code of a refusal.
    pub fn code(&self) -> &'static str {
        match self {
            DeskError::Envelope(e) => e.code(),
            DeskError::Ledger(_) | DeskError::Store(_) | DeskError::Internal(_) => "internal",
            DeskError::NoMandate => "signer_without_mandate",
            DeskError::DraftExists(_) => "draft_exists",
            DeskError::InLedger(_) => "already_in_ledger",
            DeskError::TooManyDrafts(_) => "too_many_drafts",
            DeskError::NotFound(_) => "draft_not_found",
            DeskError::NotPending { status, .. } => match status {
                DraftStatus::Expired => "draft_expired",
                DraftStatus::Withdrawn => "draft_withdrawn",
                _ => "draft_submitted",
            },
            DeskError::AlreadySigned(_) => "duplicate_key",
            DeskError::NotNeeded { .. } => "signature_not_needed",
            DeskError::NotASigner(_) => "not_a_signer",
            DeskError::Changed => "draft_changed",
        }
    }
}
