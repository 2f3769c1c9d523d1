//! One payload struct per statement type, parsed by serde directly
//! (unknown fields refused at every depth), each with its template. The
//! registry (`super::registry`) lists them once. Adding a type is one
//! payload struct here, one line in that list, and one rule function in
//! `apply/` (the compiler points at the dispatch).

use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Assessment, Basis, CommitmentChanges, CommitmentSpec, Date, Decision, DocumentSpec, Evidence,
    Government, Id, KeyId, MandateSpec, MilestoneSpec, OfficeSpec, Pillar, ProgrammeSpec, Progress,
    Registrars, Severity, Subject, Text, default_pillars,
};

/// What every statement payload knows about itself.
pub trait Payload: serde::de::DeserializeOwned {
    /// The statement's `type`.
    const TYPE: &'static str;

    /// Its fields with placeholder values, for `prasasti template`.
    fn template() -> Value;
}

const KEY: &str = "<64 lowercase hex digits of an Ed25519 public key>";
const SHA: &str = "<sha256 of the document, 64 lowercase hex digits>";

macro_rules! payload {
    ($name:ident, $type:literal, $template:expr) => {
        impl Payload for $name {
            const TYPE: &'static str = $type;
            fn template() -> Value {
                $template
            }
        }
    };
}

/// `ledger.genesis`: the government, its registrars and its pillars.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The regional government.
    pub government: Government,
    /// Who registers appointments.
    pub registrars: Registrars,
    /// The smart-city dimensions (default: the six national ones).
    #[serde(default = "default_pillars")]
    pub pillars: Vec<Pillar>,
}
payload!(
    Genesis,
    "ledger.genesis",
    json!({
        "government": {"name": "Pemerintah Kabupaten …", "region_code": "33.13", "timezone": "Asia/Jakarta"},
        "registrars": {"keys": [KEY], "threshold": 1},
    })
);

payload!(
    Registrars,
    "registrars.update",
    json!({"keys": [KEY], "threshold": 1})
);

/// `office.establish`.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficeEstablish {
    /// The office.
    pub office: OfficeSpec,
}
payload!(
    OfficeEstablish,
    "office.establish",
    json!({
        "office": {"id": "bappeda", "name": "Kepala Bappeda", "unit": "Badan Perencanaan Pembangunan Daerah", "role": "planning"}
    })
);

/// `mandate.begin`: a person and their keys bound to an office for a term.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MandateBegin {
    /// The mandate.
    pub mandate: MandateSpec,
    /// The holder's keys; each signs the statement (proof of possession).
    pub keys: Vec<KeyId>,
}
payload!(
    MandateBegin,
    "mandate.begin",
    json!({
        "mandate": {
            "id": "bappeda-2025", "office": "bappeda",
            "holder": {"name": "<full name>", "nip": "<18-digit NIP: required for appointed officials>", "person": "<for an elected holder without NIP: a person id, the same in each of their mandates; else remove>"},
            "kind": "definitive", "from": "2025-03-01", "until": "2030-03-01",
            "basis": {"kind": "sk_bupati", "number": "<decree number>", "date": "2025-02-28", "sha256": SHA}
        },
        "keys": [KEY]
    })
);

/// `mandate.end`.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MandateEnd {
    /// The mandate.
    pub mandate: Id,
    /// When it ended.
    pub at: Date,
    /// Why.
    pub reason: Text,
}
payload!(
    MandateEnd,
    "mandate.end",
    json!({"mandate": "bappeda-2025", "at": "2030-03-01", "reason": "<why the term ended>"})
);

/// `key.add`: another key for a mandate.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyAdd {
    /// The mandate.
    pub mandate: Id,
    /// The new key; it signs the statement.
    pub key: KeyId,
}
payload!(
    KeyAdd,
    "key.add",
    json!({"mandate": "bappeda-2025", "key": KEY})
);

/// `key.revoke`.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyRevoke {
    /// The key.
    pub key: KeyId,
    /// Why.
    pub reason: Text,
    /// Since when the key may have been in other hands.
    #[serde(default)]
    pub compromised_since: Option<Date>,
}
payload!(
    KeyRevoke,
    "key.revoke",
    json!({"key": KEY, "reason": "<why>", "compromised_since": "<RFC 3339 time, optional>"})
);

/// `document.register`.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentRegister {
    /// The document.
    pub document: DocumentSpec,
}
payload!(
    DocumentRegister,
    "document.register",
    json!({
        "document": {"id": "rpjmd-2025-2029", "kind": "RPJMD", "number": "<number>", "title": "<title>", "date": "2025-08-01", "sha256": SHA, "uri": "<https://…, optional>"}
    })
);

fn programme_template() -> Value {
    json!({
        "programme": {
            "id": "satu-data", "title": "<title>", "pillar": "governance", "horizon": "short",
            "owner": "diskominfo", "period": {"from": "2025-01-01", "until": "2026-12-31"},
            "description": "<what the programme does>", "documents": ["rpjmd-2025-2029"]
        }
    })
}

/// `programme.register`.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeRegister {
    /// The programme.
    pub programme: ProgrammeSpec,
}
payload!(
    ProgrammeRegister,
    "programme.register",
    programme_template()
);

/// `programme.update`: a new version of a registered programme.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeUpdate {
    /// The programme as it now is.
    pub programme: ProgrammeSpec,
}
payload!(ProgrammeUpdate, "programme.update", programme_template());

/// `commitment.make`.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentMake {
    /// The commitment.
    pub commitment: CommitmentSpec,
}
payload!(
    CommitmentMake,
    "commitment.make",
    json!({
        "commitment": {
            "id": "satu-data-portal", "programme": "satu-data", "title": "<title>", "description": "<what is promised>",
            "indicators": [{"id": "datasets", "name": "<indicator>", "unit": "dataset", "baseline": "0", "target": "100"}],
            "budget": {"amount": "1500000000", "currency": "IDR", "source": "APBD"},
            "due": "2026-12-31"
        }
    })
);

/// `commitment.amend`.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentAmend {
    /// The commitment.
    pub commitment: Id,
    /// What changes.
    pub changes: CommitmentChanges,
    /// Why.
    pub justification: Text,
}
payload!(
    CommitmentAmend,
    "commitment.amend",
    json!({
        "commitment": "satu-data-portal",
        "changes": {"due": "2027-06-30", "budget": {"amount": "1200000000", "currency": "IDR", "source": "APBD"}},
        "justification": "<why>"
    })
);

/// `commitment.reaffirm`: a new head keeps an inherited commitment.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentReaffirm {
    /// The commitment.
    pub commitment: Id,
    /// A note.
    #[serde(default)]
    pub note: Option<Text>,
}
payload!(
    CommitmentReaffirm,
    "commitment.reaffirm",
    json!({"commitment": "satu-data-portal", "note": "<optional note>"})
);

/// `commitment.discontinue`: stopped openly, with its reason and basis.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentDiscontinue {
    /// The commitment.
    pub commitment: Id,
    /// Why.
    pub justification: Text,
    /// The decision it rests on.
    pub basis: Basis,
}
payload!(
    CommitmentDiscontinue,
    "commitment.discontinue",
    json!({
        "commitment": "satu-data-portal", "justification": "<why>",
        "basis": {"kind": "<decree kind; ministerial_approval for an interim head>", "number": "<number>", "sha256": SHA}
    })
);

/// `commitment.complete`.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentComplete {
    /// The commitment.
    pub commitment: Id,
    /// A note.
    #[serde(default)]
    pub note: Option<Text>,
}
payload!(
    CommitmentComplete,
    "commitment.complete",
    json!({"commitment": "satu-data-portal", "note": "<optional note>"})
);

/// `milestone.schedule`.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneSchedule {
    /// The milestone.
    pub milestone: MilestoneSpec,
}
payload!(
    MilestoneSchedule,
    "milestone.schedule",
    json!({
        "milestone": {"id": "satu-data-portal-launch", "commitment": "satu-data-portal", "title": "<title>", "type": "delivery", "due": "2026-06-30", "approvers": ["bappeda", "inspektorat"]}
    })
);

/// `milestone.reschedule`.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneReschedule {
    /// The milestone.
    pub milestone: Id,
    /// The new due date.
    pub due: Date,
    /// Why.
    pub justification: Text,
}
payload!(
    MilestoneReschedule,
    "milestone.reschedule",
    json!({"milestone": "satu-data-portal-launch", "due": "2026-09-30", "justification": "<why>"})
);

/// `milestone.report`: the owner's account of a milestone.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneReport {
    /// The milestone.
    pub milestone: Id,
    /// Met, partly met or not met.
    pub status: Assessment,
    /// When it was met.
    #[serde(default)]
    pub date_met: Option<Date>,
    /// Physical and financial progress.
    pub progress: Progress,
    /// Evidence documents.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// A note.
    #[serde(default)]
    pub note: Option<Text>,
}
payload!(
    MilestoneReport,
    "milestone.report",
    json!({
        "milestone": "satu-data-portal-launch", "status": "met", "date_met": "2026-06-20",
        "progress": {"physical_pct": 100, "financial_pct": 92},
        "evidence": [{"title": "<what>", "sha256": SHA, "uri": "<https://…, optional>"}],
        "note": "<optional note>"
    })
);

/// `milestone.approve`: an approver's decision on a report.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneApprove {
    /// The milestone.
    pub milestone: Id,
    /// The entry index of the report decided on.
    pub report: u64,
    /// Approve or reject.
    pub decision: Decision,
    /// A note.
    #[serde(default)]
    pub note: Option<Text>,
}
payload!(
    MilestoneApprove,
    "milestone.approve",
    json!({"milestone": "satu-data-portal-launch", "report": 0, "decision": "approve", "note": "<optional note>"})
);

/// `handover.record`: the memorandum of handover between two holders.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverRecord {
    /// The office.
    pub office: Id,
    /// The outgoing mandate.
    pub outgoing: Id,
    /// The incoming mandate.
    pub incoming: Id,
    /// When.
    pub at: Date,
    /// The minutes of the handover.
    pub basis: Basis,
    /// Every open commitment handed over.
    pub open_commitments: Vec<Id>,
    /// Notes.
    #[serde(default)]
    pub notes: Option<Text>,
}
payload!(
    HandoverRecord,
    "handover.record",
    json!({
        "office": "bupati", "outgoing": "<outgoing mandate id>", "incoming": "<incoming mandate id>", "at": "2025-02-20",
        "basis": {"kind": "berita_acara", "number": "<number>", "sha256": SHA},
        "open_commitments": ["<every open commitment id>"], "notes": "<optional notes>"
    })
);

/// `audit.note`: an inspectorate finding.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditNote {
    /// What it is about.
    pub subject: Subject,
    /// The finding.
    pub finding: Text,
    /// How serious.
    pub severity: Severity,
    /// What to do.
    #[serde(default)]
    pub recommendation: Option<Text>,
}
payload!(
    AuditNote,
    "audit.note",
    json!({
        "subject": {"kind": "milestone", "id": "satu-data-portal-launch"},
        "finding": "<finding>", "severity": "medium", "recommendation": "<optional recommendation>"
    })
);

/// `audit.response`: the answer to an audit note.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditResponse {
    /// The entry index of the note.
    pub note: u64,
    /// The response.
    pub response: Text,
}
payload!(
    AuditResponse,
    "audit.response",
    json!({"note": 0, "response": "<response>"})
);
