//! The inspectorate's audit: the whole log verified (see
//! [`crate::ledger::verify`]) and the governance rules replayed over it from
//! scratch, with the state hash compared to the one the server publishes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Folded, StateFold};
use crate::ledger::entry::Entry;
use crate::ledger::rules::{Fold, Refusal};
use crate::ledger::statement::{VerifiedEnvelope, keyid_of};
use crate::ledger::verify::{self, Options, Report, Source, VerifyError};
use crate::tlog::hash::Hash;

/// An entry signed with a key after the time it was declared compromised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// The entry.
    pub index: u64,
    /// The key.
    pub keyid: String,
    /// Since when the key was compromised.
    pub compromised_since: String,
    /// The revocation entry.
    pub revoked_by: u64,
}

/// How the recomputed state compares with the one the ledger publishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateCheck {
    /// Same hash.
    Matches,
    /// Different hashes.
    Differs {
        /// What the server or projection says.
        published: Hash,
        /// What the replay gives.
        computed: Hash,
    },
    /// Nothing to compare with, and why.
    Unavailable(String),
}

/// What the audit established.
#[derive(Clone, Debug)]
pub struct Audit {
    /// The log verification, with the rule violations.
    pub log: Report,
    /// Hash of the replayed state.
    pub state_hash: Hash,
    /// Comparison with the published state.
    pub state_check: StateCheck,
    /// Entries signed with keys after their declared compromise.
    pub flags: Vec<Flag>,
}

impl Audit {
    /// Whether the audit found nothing wrong (flags are warnings).
    pub fn is_clean(&self) -> bool {
        self.log.violations.is_empty() && !matches!(self.state_check, StateCheck::Differs { .. })
    }
}

/// The governance fold, also remembering who signed when.
struct AuditFold {
    inner: StateFold,
    signed: BTreeMap<String, Vec<(u64, DateTime<Utc>)>>,
}

impl Fold for AuditFold {
    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn apply(&mut self, entry: &Entry, envelope: &VerifiedEnvelope) -> Result<(), Refusal> {
        if let Some(time) = Some(entry.recorded_at.instant()) {
            for key in envelope.signers() {
                self.signed
                    .entry(keyid_of(key))
                    .or_default()
                    .push((entry.index, time));
            }
        }
        self.inner.apply(entry, envelope)
    }

    fn skip(&mut self) {
        self.inner.skip();
    }

    fn state_hash(&self) -> Hash {
        self.inner.state_hash()
    }
}

/// Verifies the log and replays the governance rules over it.
pub async fn audit(source: &Source, options: &Options) -> Result<Audit, VerifyError> {
    let mut fold = AuditFold {
        inner: StateFold::new(),
        signed: BTreeMap::new(),
    };
    let log = verify::verify_with(source, options, Some(&mut fold)).await?;
    let AuditFold { inner, signed } = fold;
    let folded = inner.into_folded();
    let state_hash = folded.state.hash();
    let flags = flags(&folded, &signed);
    let state_check = match published_hash(source, log.checkpoint.size).await {
        Ok(published) if published == state_hash => StateCheck::Matches,
        Ok(published) => StateCheck::Differs {
            published,
            computed: state_hash,
        },
        Err(why) => StateCheck::Unavailable(why),
    };
    Ok(Audit {
        log,
        state_hash,
        state_check,
        flags,
    })
}

fn flags(folded: &Folded, signed: &BTreeMap<String, Vec<(u64, DateTime<Utc>)>>) -> Vec<Flag> {
    let tz = folded.state.time_zone();
    let mut flags = Vec::new();
    for key in folded.state.keys.values() {
        let Some(revocation) = &key.revoked else {
            continue;
        };
        let Some(since) = &revocation.compromised_since else {
            continue;
        };
        let from = since.instant(tz);
        for (index, time) in signed.get(&key.keyid).into_iter().flatten() {
            if *time >= from && *index < revocation.recorded.entry {
                flags.push(Flag {
                    index: *index,
                    keyid: key.keyid.clone(),
                    compromised_since: since.to_string(),
                    revoked_by: revocation.recorded.entry,
                });
            }
        }
    }
    flags.sort_by_key(|f| f.index);
    flags
}

/// The state hash the ledger publishes for `size` entries.
async fn published_hash(source: &Source, size: u64) -> Result<Hash, String> {
    match source {
        Source::Server { base } => {
            let body = crate::ledger::http::get(&format!("{base}/api/v1/state?tree_size={size}"))
                .await
                .map_err(|e| e.to_string())?;
            let value: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| format!("the server's state: {e}"))?;
            value
                .get("state_hash")
                .and_then(|h| h.as_str())
                .and_then(|h| Hash::from_hex(h).ok())
                .ok_or_else(|| "the server's state has no valid state_hash".to_owned())
        }
        Source::Mirror(_) => Err("a mirror holds the log, not the ledger's published state".into()),
        Source::Database(store) => {
            let projection = store.projection().await.map_err(|e| e.to_string())?;
            if projection.tree_size != Some(size) {
                return Err(format!(
                    "the database's projection covers {:?} entries, not {size}",
                    projection.tree_size
                ));
            }
            let mut state = super::State::default();
            for o in &projection.objects {
                state
                    .load_object(&o.kind, &o.id, &o.body)
                    .map_err(|e| format!("projection {} {}: {e}", o.kind, o.id))?;
            }
            Ok(state.hash())
        }
    }
}
