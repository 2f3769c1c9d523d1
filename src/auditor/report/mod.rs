//! `prasasti audit report`: what happened in the ledger between two
//! checkpoints, the way an Inspektorat auditor reads it — per Bupati term
//! and per programme — after the whole log has verified.
//!
//! Every line names its entry (index and leaf hash), and the report
//! carries both checkpoints and the consistency proof between them, so a
//! reader can re-check any line with `prasasti check-proof` or the site's
//! Verifikasi page. The same inputs give the same bytes: times are the
//! log's own (the last entry's), never the clock's.

mod render;

use std::collections::BTreeSet;

use serde::Serialize;

pub use self::render::{Format, render};
use crate::governance::State;
use crate::governance::audit::{self, StateCheck};
use crate::governance::model::Role;
use crate::governance::state::{CommitmentAction, CommitmentStatus};
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

/// A checkpoint the report starts or ends at.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Head {
    /// Its size.
    pub tree_size: u64,
    /// Its root, base64.
    pub root_hash: String,
    /// The signed note, when there is one.
    pub checkpoint: Option<String>,
}

/// One entry, as every line of the report names it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Line {
    /// Its index.
    pub index: u64,
    /// Its leaf hash, base64 (as the API gives it).
    pub leaf_hash: String,
    /// When it was recorded (RFC 3339 UTC).
    pub recorded_at: String,
    /// Its statement type.
    #[serde(rename = "type")]
    pub statement_type: String,
    /// Its statement id.
    pub id: String,
    /// What it says, in Bahasa Indonesia.
    pub summary_id: String,
    /// What it says, in English.
    pub summary_en: String,
}

/// The audit's own findings.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Verification {
    /// Entries verified (the whole log).
    pub entries: u64,
    /// Signatures verified.
    pub signatures: u64,
    /// The replayed state's hash, hex.
    pub state_hash: String,
    /// How it compares with the ledger's published state.
    pub state_check: String,
    /// Witnesses whose cosignatures met the policy, with their times.
    pub cosigners: Vec<Cosigner>,
    /// Entries signed with a key after its declared compromise (in the
    /// report's range).
    pub signed_after_compromise: Vec<Flagged>,
}

/// A witness's cosignature.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Cosigner {
    /// Its name in the policy.
    pub name: String,
    /// Its time (Unix seconds).
    pub time: u64,
}

/// An entry signed with a key after its declared compromise.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Flagged {
    /// The entry.
    pub index: u64,
    /// The key.
    pub keyid: String,
    /// Compromised since.
    pub compromised_since: String,
    /// The revocation's entry.
    pub revoked_by: u64,
}

/// A decision of a term about a commitment.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TermDecision {
    /// `made`, `amended`, `reaffirmed`, `discontinued` or `completed`.
    pub action: String,
    /// The commitment.
    pub commitment: String,
    /// Its title.
    pub title: String,
    /// The entry.
    pub index: u64,
    /// Justification or note, quoted.
    pub text: Option<String>,
    /// Legal basis, as its document says.
    pub basis: Option<String>,
}

/// One head-of-region term seen in the report's range.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TermReport {
    /// The mandate.
    pub mandate: String,
    /// The holder's name.
    pub holder: String,
    /// Definitive, acting, daily or caretaker.
    pub kind: String,
    /// Start.
    pub from: String,
    /// Planned or actual end.
    pub until: Option<String>,
    /// Its decisions in the range.
    pub decisions: Vec<TermDecision>,
    /// Inherited commitments it left without a decision.
    pub left_awaiting: Vec<String>,
    /// Milestones met, partially met, not met and overdue in the term.
    pub milestones_met: Vec<String>,
    /// Partially met.
    pub milestones_partially_met: Vec<String>,
    /// Not met.
    pub milestones_not_met: Vec<String>,
    /// Overdue.
    pub milestones_overdue: Vec<String>,
}

/// A change to a commitment in the range.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Change {
    /// `made`, `amended`, `inherited`, `reaffirmed`, `discontinued`, `completed`.
    pub action: String,
    /// The entry.
    pub index: u64,
    /// When.
    pub recorded_at: String,
    /// Budget before and after, rupiah (amendments).
    pub budget: Option<(String, String)>,
    /// Budget difference in rupiah (after minus before).
    pub budget_delta: Option<i128>,
    /// Due date before and after (amendments).
    pub due: Option<(String, String)>,
    /// Days the due date moved (later is positive).
    pub due_delta_days: Option<i64>,
    /// Justification or note, quoted.
    pub text: Option<String>,
    /// Legal basis.
    pub basis: Option<String>,
}

/// A commitment with its changes in the range.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CommitmentReport {
    /// Its id.
    pub id: String,
    /// Its title now.
    pub title: String,
    /// Where it stands at the end of the range.
    pub status: String,
    /// Its budget now, rupiah.
    pub budget: String,
    /// Its due date now.
    pub due: String,
    /// Its changes in the range.
    pub changes: Vec<Change>,
}

/// A milestone report in the range.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MilestoneReportLine {
    /// The entry.
    pub index: u64,
    /// When.
    pub recorded_at: String,
    /// The status reported.
    pub status: String,
    /// The evidence's SHA-256 digests.
    pub evidence: Vec<String>,
    /// Approvals: office and entry.
    pub approvals: Vec<(String, u64)>,
    /// `approved`, `rejected` or `pending`.
    pub outcome: String,
}

/// A milestone of a programme in the range.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MilestoneLine {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its commitment.
    pub commitment: String,
    /// Due date.
    pub due: String,
    /// `scheduled`, `met`, `partiallyMet`, `notMet`, `overdue` or `pending_approval`.
    pub status: String,
    /// Approver offices.
    pub approvers: Vec<String>,
    /// Its reports in the range.
    pub reports: Vec<MilestoneReportLine>,
}

/// A programme with what happened to it in the range.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ProgrammeReport {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its owner office.
    pub owner: String,
    /// Its commitments with changes in the range.
    pub commitments: Vec<CommitmentReport>,
    /// Its milestones.
    pub milestones: Vec<MilestoneLine>,
}

/// An inherited commitment still awaiting the head's decision.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Awaiting {
    /// The commitment.
    pub commitment: String,
    /// Its programme.
    pub programme: String,
    /// Its title.
    pub title: String,
    /// The entry that made it inherited.
    pub since_index: u64,
    /// Days waiting, to the end of the range.
    pub days: i64,
}

/// A handover in the range, and whether it listed every open commitment.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct HandoverLine {
    /// The entry.
    pub index: u64,
    /// The office.
    pub office: String,
    /// Outgoing and incoming mandates.
    pub outgoing: String,
    /// Incoming.
    pub incoming: String,
    /// Commitments it listed as open.
    pub listed: Vec<String>,
    /// Open commitments of the office it did not list.
    pub not_listed: Vec<String>,
}

/// A key revoked in the range.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RevocationLine {
    /// The entry.
    pub index: u64,
    /// The key.
    pub keyid: String,
    /// The reason.
    pub reason: String,
    /// Declared compromised since.
    pub compromised_since: Option<String>,
}

/// An audit note without a response.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OpenNote {
    /// The entry.
    pub index: u64,
    /// What it is about: kind and id.
    pub subject: String,
    /// The finding.
    pub finding: String,
    /// Its severity.
    pub severity: String,
}

/// The report.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AuditReport {
    /// [`REPORT_FORMAT`].
    pub format: &'static str,
    /// The log's origin.
    pub origin: String,
    /// Its key.
    pub verifier_key: String,
    /// Where the range starts.
    pub from: Head,
    /// Where it ends: the verified checkpoint.
    pub to: Head,
    /// The consistency proof from `from` to `to`, base64.
    pub consistency_proof: Vec<String>,
    /// The time the report speaks as of: the last entry's.
    pub as_of: Option<String>,
    /// The audit's findings.
    pub verification: Verification,
    /// Head-of-region terms active in the range.
    pub terms: Vec<TermReport>,
    /// Programmes touched in the range.
    pub programmes: Vec<ProgrammeReport>,
    /// Inherited commitments awaiting reaffirmation at the end.
    pub awaiting_reaffirmation: Vec<Awaiting>,
    /// Handovers in the range.
    pub handovers: Vec<HandoverLine>,
    /// Keys revoked in the range.
    pub revocations: Vec<RevocationLine>,
    /// Audit notes still without a response.
    pub open_audit_notes: Vec<OpenNote>,
    /// Every entry of the range.
    pub entries: Vec<Line>,
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

/// A serialized enum's name, such as `awaiting_reaffirmation`.
fn json_word<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Open commitments (active or awaiting reaffirmation) with their
/// programme's owner office.
fn open_commitments(state: &State) -> Vec<(String, String)> {
    state
        .commitments
        .values()
        .filter(|c| {
            matches!(
                c.status,
                CommitmentStatus::Active | CommitmentStatus::AwaitingReaffirmation
            )
        })
        .map(|c| {
            let owner = state
                .programmes
                .get(&c.programme)
                .map(|p| p.spec.owner.to_string())
                .unwrap_or_default();
            (c.id.clone(), owner)
        })
        .collect()
}

fn terms(
    state: &State,
    size: u64,
    as_of: chrono::DateTime<chrono::Utc>,
    from: u64,
) -> Vec<TermReport> {
    let continuity = state.continuity(size, as_of);
    continuity
        .terms
        .into_iter()
        .filter(|t| t.ended.as_ref().is_none_or(|e| e.recorded.entry >= from))
        .map(|t| {
            let mut decisions = Vec::new();
            for (action, list) in [
                ("made", &t.made),
                ("amended", &t.amended),
                ("reaffirmed", &t.reaffirmed),
                ("discontinued", &t.discontinued),
                ("completed", &t.completed),
            ] {
                for d in list.iter().filter(|d| d.entry >= from) {
                    decisions.push(TermDecision {
                        action: action.to_owned(),
                        commitment: d.commitment.clone(),
                        title: d.title.clone(),
                        index: d.entry,
                        text: d.text.clone(),
                        basis: d.basis.as_ref().map(basis_words),
                    });
                }
            }
            decisions.sort_by_key(|d| d.index);
            TermReport {
                mandate: t.mandate,
                holder: t.holder.name.to_string(),
                kind: json_word(&t.kind),
                from: t.from.to_string(),
                until: t
                    .ended
                    .as_ref()
                    .map(|e| e.at.to_string())
                    .or(t.until.map(|u| u.to_string())),
                decisions,
                left_awaiting: t.left_awaiting,
                milestones_met: t.milestones_met,
                milestones_partially_met: t.milestones_partially_met,
                milestones_not_met: t.milestones_not_met,
                milestones_overdue: t.milestones_overdue,
            }
        })
        .collect()
}

fn basis_words(basis: &crate::governance::model::Basis) -> String {
    serde_json::to_value(basis)
        .ok()
        .and_then(|v| {
            let o = v.as_object()?;
            let words: Vec<String> = o
                .values()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            Some(words.join(", "))
        })
        .unwrap_or_default()
}

fn programmes(
    state: &State,
    as_of: chrono::DateTime<chrono::Utc>,
    from: u64,
) -> Vec<ProgrammeReport> {
    let mut out = Vec::new();
    for p in state.programmes.values() {
        let last = state.histories.last_programme_entry(p.spec.id.as_str());
        if last.is_none_or(|e| e < from) {
            continue;
        }
        let mut commitments = Vec::new();
        let mut milestones = Vec::new();
        for c in p
            .commitments
            .iter()
            .filter_map(|c| state.commitments.get(c))
        {
            let current = c.current();
            let changes: Vec<Change> = c
                .events
                .iter()
                .filter(|e| e.recorded.entry >= from)
                .map(|e| {
                    let mut change = Change {
                        action: json_word(&e.action),
                        index: e.recorded.entry,
                        recorded_at: e.recorded.recorded_at.clone(),
                        budget: None,
                        budget_delta: None,
                        due: None,
                        due_delta_days: None,
                        text: e.text.as_ref().map(|t| t.to_string()),
                        basis: e.basis.as_ref().map(basis_words),
                    };
                    if e.action == CommitmentAction::Amended
                        && let Some(at) = c
                            .versions
                            .iter()
                            .position(|v| v.recorded.entry == e.recorded.entry)
                        && at > 0
                    {
                        let (before, after) = (&c.versions[at - 1], &c.versions[at]);
                        let (b0, b1) = (
                            before.budget.amount.to_string(),
                            after.budget.amount.to_string(),
                        );
                        change.budget_delta = match (b0.parse::<i128>(), b1.parse::<i128>()) {
                            (Ok(x), Ok(y)) => Some(y - x),
                            _ => None,
                        };
                        change.budget = Some((b0, b1));
                        let tz = state.time_zone();
                        change.due_delta_days =
                            Some((after.due.instant(tz) - before.due.instant(tz)).num_days());
                        change.due = Some((before.due.to_string(), after.due.to_string()));
                    }
                    change
                })
                .collect();
            for m in c.milestones.iter().filter_map(|m| state.milestones.get(m)) {
                milestones.push(MilestoneLine {
                    id: m.id.clone(),
                    title: m.title.to_string(),
                    commitment: c.id.clone(),
                    due: m.due.to_string(),
                    status: json_word(&state.milestone_status(m, as_of)),
                    approvers: m.approvers.clone(),
                    reports: m
                        .reports
                        .iter()
                        .filter(|r| r.recorded.entry >= from)
                        .map(|r| MilestoneReportLine {
                            index: r.recorded.entry,
                            recorded_at: r.recorded.recorded_at.clone(),
                            status: json_word(&r.status),
                            evidence: r.evidence.iter().map(|e| e.sha256.to_string()).collect(),
                            approvals: r
                                .approvals
                                .iter()
                                .map(|a| (a.office.clone(), a.recorded.entry))
                                .collect(),
                            outcome: json_word(&r.outcome),
                        })
                        .collect(),
                });
            }
            if !changes.is_empty() {
                commitments.push(CommitmentReport {
                    id: c.id.clone(),
                    title: current.title.to_string(),
                    status: json_word(&c.status),
                    budget: current.budget.amount.to_string(),
                    due: current.due.to_string(),
                    changes,
                });
            }
        }
        out.push(ProgrammeReport {
            id: p.spec.id.to_string(),
            title: p.spec.title.to_string(),
            owner: p.spec.owner.to_string(),
            commitments,
            milestones,
        });
    }
    out
}

fn awaiting(state: &State, as_of: chrono::DateTime<chrono::Utc>) -> Vec<Awaiting> {
    state
        .commitments
        .values()
        .filter(|c| c.status == CommitmentStatus::AwaitingReaffirmation)
        .filter_map(|c| {
            let since = c
                .events
                .iter()
                .rev()
                .find(|e| e.action == CommitmentAction::Inherited)?;
            let when = crate::ledger::entry::parse_time(&since.recorded.recorded_at)?;
            Some(Awaiting {
                commitment: c.id.clone(),
                programme: c.programme.clone(),
                title: c.current().title.to_string(),
                since_index: since.recorded.entry,
                days: (as_of - when).num_days(),
            })
        })
        .collect()
}
