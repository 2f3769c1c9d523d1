//! The governance state: everything the log established, as a value.
//!
//! Its JSON (RFC 8785 canonical) is the documented state of
//! `docs/GOVERNANCE.md`, and its SHA-256 is the state hash the server
//! publishes and the auditor recomputes. Collections are persistent maps,
//! so a snapshot for readers or for the next batch costs almost nothing.

use imbl::OrdMap;
use serde::{Deserialize, Serialize};

use super::digests::{self, Digests};
use super::histories::Histories;
use super::model::*;
use crate::ledger::statement::canonical_json;
use crate::tlog::hash::Hash;

/// Who signed, and as what: one key's standing at an entry's time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Signer {
    /// The key.
    pub keyid: String,
    /// The person: `nip:…` when the mandate names a NIP, else `key:…`.
    pub person: String,
    /// The holder's name, when the key belongs to a mandate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The office the signature counted for, when it counted for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    /// The mandate through which it counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandate: Option<String>,
}

/// Where and when something happened in the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct At {
    /// Entry index.
    pub entry: u64,
    /// The entry's `recorded_at`.
    pub recorded_at: String,
}

/// The ledger's charter: its government, registrars and pillars.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Charter {
    /// The regional government.
    pub government: Government,
    /// The current registrars.
    pub registrars: Registrars,
    /// The smart-city pillars.
    pub pillars: Vec<Pillar>,
    /// Entries that set or changed it.
    pub entries: Vec<u64>,
}

/// An office and the mandates given for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Office {
    /// As established.
    #[serde(flatten)]
    pub spec: OfficeSpec,
    /// When.
    pub established: At,
    /// Its mandates, oldest first.
    pub mandates: Vec<String>,
}

/// How a mandate ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MandateEnd {
    /// The `mandate.end` entry.
    #[serde(flatten)]
    pub recorded: At,
    /// When the term ended, as stated.
    pub at: Date,
    /// Why.
    pub reason: Text,
}

/// A mandate and its keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Mandate {
    /// As begun.
    #[serde(flatten)]
    pub spec: MandateSpec,
    /// Every key ever bound to it.
    pub keys: Vec<String>,
    /// The `mandate.begin` entry.
    pub begun: At,
    /// The `mandate.end` entry, once ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<MandateEnd>,
}

/// A revocation of a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Revocation {
    /// The `key.revoke` entry.
    #[serde(flatten)]
    pub recorded: At,
    /// Why.
    pub reason: Text,
    /// Since when the key may have been in other hands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compromised_since: Option<Date>,
}

/// A key known to the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Key {
    /// The key.
    pub keyid: String,
    /// Mandates it is bound to.
    pub mandates: Vec<String>,
    /// Whether it is a registrar key now.
    pub registrar: bool,
    /// Its revocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Revocation>,
}

/// A registered document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Document {
    /// As registered.
    #[serde(flatten)]
    pub spec: DocumentSpec,
    /// When.
    pub registered: At,
}

/// One version of a programme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProgrammeVersion {
    /// The entry.
    #[serde(flatten)]
    pub recorded: At,
    /// The programme as it stood.
    pub programme: ProgrammeSpec,
}

/// A programme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Programme {
    /// The current version.
    #[serde(flatten)]
    pub spec: ProgrammeSpec,
    /// Every version, oldest first.
    pub versions: Vec<ProgrammeVersion>,
    /// Its commitments, in the order made.
    pub commitments: Vec<String>,
}

/// Where a commitment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentStatus {
    /// Being delivered.
    Active,
    /// Inherited by a new head who has not yet reaffirmed, amended or
    /// discontinued it.
    AwaitingReaffirmation,
    /// Delivered.
    Completed,
    /// Openly stopped.
    Discontinued,
}

impl CommitmentStatus {
    /// Active or awaiting reaffirmation.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CommitmentStatus::Active | CommitmentStatus::AwaitingReaffirmation
        )
    }
}

/// One version of a commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommitmentVersion {
    /// 1 for the commitment as made.
    pub version: u32,
    /// The entry.
    #[serde(flatten)]
    pub recorded: At,
    /// Title.
    pub title: Text,
    /// Description.
    pub description: Text,
    /// Indicators.
    pub indicators: Vec<Indicator>,
    /// Budget.
    pub budget: Budget,
    /// Due date.
    pub due: Date,
    /// Why it changed (amendments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<Text>,
}

/// What happened to a commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CommitmentAction {
    Made,
    Amended,
    Inherited,
    Reaffirmed,
    Discontinued,
    Completed,
}

/// An event in a commitment's life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommitmentEvent {
    /// The entry.
    #[serde(flatten)]
    pub recorded: At,
    /// What happened.
    pub action: CommitmentAction,
    /// The head-of-region mandate in office then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_mandate: Option<String>,
    /// Note or justification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
    /// Legal basis (discontinuation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
    /// Who signed.
    pub signers: Vec<Signer>,
}

/// A commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Commitment {
    /// Its id.
    pub id: String,
    /// Its programme.
    pub programme: String,
    /// Where it stands.
    pub status: CommitmentStatus,
    /// Every version; the last is current.
    pub versions: Vec<CommitmentVersion>,
    /// Its history.
    pub events: Vec<CommitmentEvent>,
    /// Its milestones.
    pub milestones: Vec<String>,
}

impl Commitment {
    /// The current version.
    pub fn current(&self) -> &CommitmentVersion {
        self.versions.last().expect("a commitment has a version")
    }
}

/// Where a milestone stands (OCDS).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum MilestoneStatus {
    Scheduled,
    Met,
    PartiallyMet,
    NotMet,
}

impl From<Assessment> for MilestoneStatus {
    fn from(a: Assessment) -> MilestoneStatus {
        match a {
            Assessment::Met => MilestoneStatus::Met,
            Assessment::PartiallyMet => MilestoneStatus::PartiallyMet,
            Assessment::NotMet => MilestoneStatus::NotMet,
        }
    }
}

/// An approval or rejection of a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Approval {
    /// The entry.
    #[serde(flatten)]
    pub recorded: At,
    /// The approver office it counted for.
    pub office: String,
    /// Approve or reject.
    pub decision: Decision,
    /// Note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    /// Who signed.
    pub signer: Signer,
}

/// What became of a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ReportOutcome {
    Pending,
    Accepted,
    Rejected,
    Superseded,
}

/// A progress report on a milestone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    /// The entry.
    #[serde(flatten)]
    pub recorded: At,
    /// Status claimed.
    pub status: Assessment,
    /// When it was met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_met: Option<Date>,
    /// Progress.
    pub progress: Progress,
    /// Evidence.
    pub evidence: Vec<Evidence>,
    /// Note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    /// Who signed.
    pub signers: Vec<Signer>,
    /// Approvals and rejections.
    pub approvals: Vec<Approval>,
    /// What became of it.
    pub outcome: ReportOutcome,
}

/// A change of due date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reschedule {
    /// The entry.
    #[serde(flatten)]
    pub recorded: At,
    /// Due date before.
    pub from: Date,
    /// Due date after.
    pub to: Date,
    /// Why.
    pub justification: Text,
}

/// A milestone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Milestone {
    /// Its id.
    pub id: String,
    /// Its commitment.
    pub commitment: String,
    /// Its title.
    pub title: Text,
    /// OCDS type.
    #[serde(rename = "type")]
    pub kind: MilestoneType,
    /// Current due date.
    pub due: Date,
    /// Approver offices.
    pub approvers: Vec<String>,
    /// Assessed status (`overdue` and `pending_approval` are derived on reading).
    pub status: MilestoneStatus,
    /// When it was scheduled.
    pub scheduled: At,
    /// When its status was last set by approvals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessed: Option<At>,
    /// The report awaiting approval, by entry index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_report: Option<u64>,
    /// Every report, oldest first.
    pub reports: Vec<Report>,
    /// Due-date changes.
    pub reschedules: Vec<Reschedule>,
}

/// A recorded handover (memori serah terima jabatan).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Handover {
    /// The entry.
    #[serde(flatten)]
    pub recorded: At,
    /// The office.
    pub office: String,
    /// Outgoing mandate.
    pub outgoing: String,
    /// Incoming mandate.
    pub incoming: String,
    /// When it took place.
    pub at: Date,
    /// The berita acara.
    pub basis: Basis,
    /// Commitments handed over.
    pub open_commitments: Vec<String>,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Text>,
    /// Who signed.
    pub signers: Vec<Signer>,
}

/// A response to an audit note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditResponse {
    /// The entry.
    #[serde(flatten)]
    pub recorded: At,
    /// The response.
    pub response: Text,
    /// Who signed.
    pub signers: Vec<Signer>,
}

/// An inspectorate finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditNote {
    /// The entry.
    #[serde(flatten)]
    pub recorded: At,
    /// What it is about.
    pub subject: Subject,
    /// The programme it concerns, when it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programme: Option<String>,
    /// The finding.
    pub finding: Text,
    /// How serious.
    pub severity: Severity,
    /// What should be done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<Text>,
    /// Who signed.
    pub signers: Vec<Signer>,
    /// Responses.
    pub responses: Vec<AuditResponse>,
}

/// The whole governance state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Set by entry 0.
    pub charter: Option<Charter>,
    /// Offices by id.
    pub offices: OrdMap<String, Office>,
    /// Mandates by id.
    pub mandates: OrdMap<String, Mandate>,
    /// Keys by keyid.
    pub keys: OrdMap<String, Key>,
    /// Documents by id.
    pub documents: OrdMap<String, Document>,
    /// Programmes by id.
    pub programmes: OrdMap<String, Programme>,
    /// Commitments by id.
    pub commitments: OrdMap<String, Commitment>,
    /// Milestones by id.
    pub milestones: OrdMap<String, Milestone>,
    /// Handovers by entry index (decimal).
    pub handovers: OrdMap<String, Handover>,
    /// Audit notes by entry index (decimal).
    pub audit_notes: OrdMap<String, AuditNote>,
    /// The lists that grow with one object's history (entries that
    /// concerned a programme, notes about it): derived by the same rules,
    /// outside the state's JSON and hash.
    #[serde(skip)]
    pub histories: Histories,
    /// The digests of objects' canonical JSON, for the state hash: a cache,
    /// outside the state's JSON and equality.
    #[serde(skip)]
    pub digests: Digests,
}

/// The collections of the state, as the projection names them.
pub const KINDS: [&str; 10] = [
    "charter",
    "office",
    "mandate",
    "key",
    "document",
    "programme",
    "commitment",
    "milestone",
    "handover",
    "audit_note",
];

impl State {
    /// The state hash (docs/GOVERNANCE.md §8): SHA-256 of one line per
    /// object, `<kind> <id> <hex SHA-256 of its canonical JSON>`. Objects
    /// whose digest is recorded and not stale are not serialised again.
    pub fn hash(&self) -> Hash {
        let hash = digests::state_hash(self, false);
        debug_assert_eq!(
            hash,
            digests::state_hash(self, true),
            "a recorded object digest is out of date"
        );
        hash
    }

    /// Records the digest of every object changed since its digest was last
    /// recorded, so that the next [`hash`](Self::hash) serialises none.
    pub fn settle_digests(&mut self) {
        let stale: Vec<(&'static str, String)> = KINDS
            .iter()
            .flat_map(|kind| {
                self.digests
                    .stale_ids(kind)
                    .into_iter()
                    .map(move |id| (*kind, id))
            })
            .collect();
        for (kind, id) in stale {
            match self.object_json(kind, &id) {
                Some(json) => self.digests.record(kind, &id, json.as_bytes()),
                None => self.digests.forget(kind, &id),
            }
        }
    }

    /// The JSON of one object, for the projection; `None` if it is absent.
    pub fn object_json(&self, kind: &str, id: &str) -> Option<String> {
        fn json<T: Serialize>(v: Option<&T>) -> Option<String> {
            v.map(|v| String::from_utf8(canonical_json(v)).unwrap_or_default())
        }
        match kind {
            "charter" => json(self.charter.as_ref()),
            "office" => json(self.offices.get(id)),
            "mandate" => json(self.mandates.get(id)),
            "key" => json(self.keys.get(id)),
            "document" => json(self.documents.get(id)),
            "programme" => json(self.programmes.get(id)),
            "commitment" => json(self.commitments.get(id)),
            "milestone" => json(self.milestones.get(id)),
            "handover" => json(self.handovers.get(id)),
            "audit_note" => json(self.audit_notes.get(id)),
            _ => None,
        }
    }

    /// Puts one projected object back into the state.
    pub fn load_object(&mut self, kind: &str, id: &str, body: &str) -> Result<(), String> {
        fn parse<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, String> {
            serde_json::from_str(body).map_err(|e| e.to_string())
        }
        let id = id.to_owned();
        match kind {
            "charter" => self.charter = Some(parse(body)?),
            "office" => _ = self.offices.insert(id, parse(body)?),
            "mandate" => _ = self.mandates.insert(id, parse(body)?),
            "key" => _ = self.keys.insert(id, parse(body)?),
            "document" => _ = self.documents.insert(id, parse(body)?),
            "programme" => _ = self.programmes.insert(id, parse(body)?),
            "commitment" => _ = self.commitments.insert(id, parse(body)?),
            "milestone" => _ = self.milestones.insert(id, parse(body)?),
            "handover" => _ = self.handovers.insert(id, parse(body)?),
            "audit_note" => _ = self.audit_notes.insert(id, parse(body)?),
            other => return Err(format!("unknown projection kind {other:?}")),
        }
        Ok(())
    }
}
