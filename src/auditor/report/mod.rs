//! `prasasti audit report`: what happened in the ledger between two
//! checkpoints, the way an Inspektorat auditor reads it — per Bupati term
//! and per programme — after the whole log has verified.
//!
//! Every line names its entry (index and leaf hash), and the report
//! carries both checkpoints and the consistency proof between them, so a
//! reader can re-check any line with `prasasti check-proof` or the site's
//! Verifikasi page. The same inputs give the same bytes: times are the
//! log's own (the last entry's), never the clock's.

mod contents;
mod render;
mod sections;

use std::collections::BTreeSet;

pub use self::contents::*;
pub use self::render::{Format, render};
use self::sections::{awaiting, json_word, open_commitments, programmes, terms};
use crate::governance::State;
use crate::governance::audit::{self, StateCheck};
use crate::governance::model::Role;
use crate::ledger::entry::Entry;
use crate::ledger::statement::VerifiedEnvelope;
use crate::ledger::verify::{self, Options, Progress, Source, VerifyError};
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::hash::{Hash, leaf_hash, root_of};
use crate::tlog::note::NoteVerifier;
use crate::tlog::policy::Policy;
use crate::tlog::proof;

/// The report's format identifier (its JSON is documented in
/// docs/FORMAT.md §11).
pub const REPORT_FORMAT: &str = "prasasti-audit-report/v1";

/// Where the report starts.
#[derive(Clone, Debug)]
pub enum Since {
    /// The beginning of the log.
    Start,
    /// After this many entries.
    Size(u64),
    /// After this signed checkpoint (kept from an earlier audit).
    Checkpoint(String),
}

/// How to report.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// The log's key.
    pub verifier: NoteVerifier,
    /// The witness policy the checkpoint must meet, if any.
    pub policy: Option<Policy>,
    /// Where the report starts.
    pub since: Since,
    /// Told `(entries verified, entries in all)`.
    pub progress: Progress,
}

/// Why there is no report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The log could not be read or does not verify.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The log verifies but breaks its rules, or its published state differs.
    #[error("the log does not pass the audit ({0}); no report is made on it")]
    Unclean(String),
    /// The starting point is not a point of this log.
    #[error("the starting point: {0}")]
    Since(String),
}

/// Verifies the log at `source`, then builds the report of the range.
pub async fn build(source: &Source, options: &ReportOptions) -> Result<AuditReport, ReportError> {
    let audited = audit::audit(
        source,
        &Options {
            verifier: options.verifier.clone(),
            state_file: None,
            policy: options.policy.clone(),
            progress: options.progress.clone(),
        },
    )
    .await?;
    if !audited.is_clean() {
        return Err(ReportError::Unclean(format!(
            "{} rule violation(s){}",
            audited.log.violations.len(),
            if matches!(audited.state_check, StateCheck::Differs { .. }) {
                ", and the published state differs from the replay"
            } else {
                ""
            }
        )));
    }
    let size = audited.log.checkpoint.size;
    let bodies = verify::read_entries(source, 0, size).await?;
    let origin = options.verifier.name().to_owned();

    // The replay, noting what the report needs as it goes.
    let mut leaves: Vec<Hash> = Vec::with_capacity(bodies.len());
    let mut state = State::default();
    let mut lines = Vec::new();
    let mut handovers = Vec::new();
    let from_size = match &options.since {
        Since::Start => 0,
        Since::Size(n) => *n,
        Since::Checkpoint(note) => {
            Checkpoint::open(note, &options.verifier)
                .map_err(|e| ReportError::Since(format!("not a checkpoint of this log: {e}")))?
                .size
        }
    };
    if from_size > size {
        return Err(ReportError::Since(format!(
            "{from_size} entries is beyond the log's {size}"
        )));
    }
    let mut last_time = None;
    for (index, body) in bodies.iter().enumerate() {
        let index = index as u64;
        let leaf = leaf_hash(body);
        leaves.push(leaf);
        let Ok(entry) = Entry::parse(body) else {
            continue;
        };
        let Ok(envelope) = VerifiedEnvelope::check(entry.envelope.clone(), &origin) else {
            continue;
        };
        last_time = Some(entry.recorded_at.instant());
        let in_range = index >= from_size;
        let open_before = (in_range && envelope.statement_type() == "handover.record")
            .then(|| open_commitments(&state));
        let _ = state.apply(&entry, &envelope);
        if !in_range {
            continue;
        }
        let words = state.words_of(envelope.statement());
        lines.push(Line {
            index,
            leaf_hash: leaf.to_base64(),
            recorded_at: entry.recorded_at.to_string(),
            statement_type: envelope.statement_type().to_owned(),
            id: envelope.statement_id().to_owned(),
            summary_id: words.id,
            summary_en: words.en,
        });
        if let Some(open) = open_before
            && let Some(h) = state.handovers.values().find(|h| h.recorded.entry == index)
        {
            let head = state
                .offices
                .get(&h.office)
                .is_some_and(|o| o.spec.role == Role::HeadOfRegion);
            let listed: BTreeSet<&String> = h.open_commitments.iter().collect();
            handovers.push(HandoverLine {
                index,
                office: h.office.clone(),
                outgoing: h.outgoing.clone(),
                incoming: h.incoming.clone(),
                listed: h.open_commitments.clone(),
                not_listed: open
                    .into_iter()
                    .filter(|(_, owner)| head || owner == &h.office)
                    .map(|(c, _)| c)
                    .filter(|c| !listed.contains(c))
                    .collect(),
            });
        }
    }

    // The two checkpoints and the proof between them.
    let from_root = root_of(&leaves[..from_size as usize]);
    let from_note = match &options.since {
        Since::Checkpoint(note) => {
            let since = Checkpoint::open(note, &options.verifier)
                .map_err(|e| ReportError::Since(e.to_string()))?;
            if since.root != from_root {
                return Err(ReportError::Since(format!(
                    "the log's first {from_size} entries do not give that checkpoint's root: the log was rewritten since"
                )));
            }
            Some(note.clone())
        }
        _ => None,
    };
    let consistency_proof = if from_size == 0 || from_size == size {
        Vec::new()
    } else {
        proof::consistency_ranges(from_size, size)
            .map_err(|e| ReportError::Since(e.to_string()))?
            .into_iter()
            .map(|r| root_of(&leaves[r.start as usize..r.end as usize]).to_base64())
            .collect()
    };
    let as_of = last_time.unwrap_or_default();
    let report = AuditReport {
        format: REPORT_FORMAT,
        origin: origin.clone(),
        verifier_key: options.verifier.to_vkey_string(),
        from: Head {
            tree_size: from_size,
            root_hash: from_root.to_base64(),
            checkpoint: from_note,
        },
        to: Head {
            tree_size: size,
            root_hash: audited.log.checkpoint.root.to_base64(),
            checkpoint: Some(audited.log.note.clone()),
        },
        consistency_proof,
        as_of: last_time.map(crate::ledger::entry::format_time),
        verification: Verification {
            entries: audited.log.entries,
            signatures: audited.log.signatures,
            state_hash: audited.state_hash.to_hex(),
            state_check: match &audited.state_check {
                StateCheck::Matches => "the ledger publishes the same state hash".into(),
                StateCheck::Differs { .. } => "the published state differs".into(),
                StateCheck::Unavailable(why) => format!("not compared: {why}"),
            },
            cosigners: audited
                .log
                .cosigners
                .iter()
                .map(|(name, time)| Cosigner {
                    name: name.clone(),
                    time: *time,
                })
                .collect(),
            signed_after_compromise: audited
                .flags
                .iter()
                .filter(|f| f.index >= from_size)
                .map(|f| Flagged {
                    index: f.index,
                    keyid: f.keyid.clone(),
                    compromised_since: f.compromised_since.clone(),
                    revoked_by: f.revoked_by,
                })
                .collect(),
        },
        terms: terms(&state, size, as_of, from_size),
        programmes: programmes(&state, as_of, from_size),
        awaiting_reaffirmation: awaiting(&state, as_of),
        handovers,
        revocations: state
            .keys
            .values()
            .filter_map(|k| {
                let r = k.revoked.as_ref()?;
                (r.recorded.entry >= from_size).then(|| RevocationLine {
                    index: r.recorded.entry,
                    keyid: k.keyid.clone(),
                    reason: r.reason.to_string(),
                    compromised_since: r.compromised_since.as_ref().map(|d| d.to_string()),
                })
            })
            .collect(),
        open_audit_notes: state
            .audit_notes
            .values()
            .filter(|n| n.responses.is_empty())
            .map(|n| OpenNote {
                index: n.recorded.entry,
                subject: format!("{} {}", json_word(&n.subject.kind), n.subject.id),
                finding: n.finding.to_string(),
                severity: json_word(&n.severity),
            })
            .collect(),
        entries: lines,
    };
    Ok(report)
}
