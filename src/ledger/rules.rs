//! The hook through which rules above the log (the governance rules) take
//! part in every append and every audit, without the ledger knowing them.
//!
//! The appender asks [`Rules::begin`] for a [`Fold`] positioned at the head
//! it read under the write lock, offers it each new entry in order, drops
//! the entries it refuses, takes its projection's changes into the same
//! transaction, and hands it back after the commit. The auditor drives a
//! [`Fold`] from an empty state over the whole log.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use super::LedgerError;
use super::entry::Entry;
use super::statement::VerifiedEnvelope;
use crate::store::{AppendTx, ProjectionChanges};
use crate::tlog::hash::Hash;

/// A boxed future, as trait objects return them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Which kind of rule an entry broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    /// The signatures do not prove the authority the statement needs.
    Unauthorized,
    /// The statement is malformed or contradicts the state.
    Invalid,
}

/// Why the rules refuse an entry: a sentence a person can act on, plus
/// machine-readable details.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    /// Which kind of rule.
    pub kind: RefusalKind,
    /// The explanation.
    pub message: String,
    /// Structured details: the field at fault, the office needed, what the
    /// signatures proved, missing ids.
    pub details: Value,
}

impl Refusal {
    /// The stable error code of this refusal.
    pub fn code(&self) -> &'static str {
        match self.kind {
            RefusalKind::Unauthorized => "unauthorized_signer",
            RefusalKind::Invalid => "invalid_statement",
        }
    }
}

/// A state being folded over the log, one entry at a time.
pub trait Fold: Send {
    /// Number of entries folded so far.
    fn size(&self) -> u64;

    /// Applies the next entry. On a refusal the state is unchanged, and the
    /// entry still counts towards [`size`](Self::size) when it is in the log.
    fn apply(&mut self, entry: &Entry, envelope: &VerifiedEnvelope) -> Result<(), Refusal>;

    /// Skips an entry that is in the log but was refused (audits and
    /// catch-up only): counts it without changing the state.
    fn skip(&mut self);

    /// SHA-256 of the canonical form of the state.
    fn state_hash(&self) -> Hash;
}

/// A fold inside an append transaction.
pub trait BatchFold: Fold {
    /// What the batch changed in the projection, for the append
    /// transaction to write; the fold counts it as written.
    fn projection(&mut self) -> ProjectionChanges;

    /// The transaction committed: this state is now the current one.
    fn install(self: Box<Self>);
}

/// Rules the appender enforces on top of the envelope checks.
pub trait Rules: Send + Sync + 'static {
    /// A fold of the log of `size` entries, read under the write lock of `tx`.
    fn begin<'a>(
        &'a self,
        tx: &'a AppendTx,
        size: u64,
    ) -> BoxFuture<'a, Result<Box<dyn BatchFold>, LedgerError>>;

    /// A fold of the log of `size` entries from the state this process
    /// holds, with no read; `None` when that state is not at `size` (another
    /// server appended since, say), and the appender then calls
    /// [`begin`](Self::begin) under the lock. By default always `None`.
    fn resume(&self, size: u64) -> Option<Box<dyn BatchFold>> {
        let _ = size;
        None
    }
}
