//! What a report holds: the types its JSON is written from
//! (docs/FORMAT.md §11). Every line names its entry by index.

use serde::Serialize;

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
    /// [`REPORT_FORMAT`](super::REPORT_FORMAT).
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
