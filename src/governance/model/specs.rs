//! The objects statements describe: the government, offices, mandates and
//! their holders, documents, programmes, commitments and milestones.

use serde::{Deserialize, Serialize};

use super::*;

/// The regional government the ledger belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Government {
    /// Its name, such as "Pemerintah Kabupaten Karanganyar".
    pub name: Text,
    /// Its Kemendagri region code, such as "33.13".
    pub region_code: Text,
    /// `Asia/Jakarta`, `Asia/Pontianak`, `Asia/Makassar` or `Asia/Jayapura`.
    pub timezone: Text,
}

/// The keys that record appointments, and how many must sign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Registrars {
    /// Their public keys.
    pub keys: Vec<KeyId>,
    /// Signatures needed.
    pub threshold: u32,
}

/// A smart-city dimension.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Pillar {
    /// Its id, such as `governance`.
    pub id: Id,
    /// Name in Bahasa Indonesia.
    pub name_id: Text,
    /// Name in English.
    pub name_en: Text,
}

/// An office (jabatan) as established.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficeSpec {
    /// Its id.
    pub id: Id,
    /// Its name, such as "Bupati Karanganyar".
    pub name: Text,
    /// The unit it heads or belongs to.
    pub unit: Text,
    /// What it is.
    pub role: Role,
}

/// The person holding a mandate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Holder {
    /// Full name.
    pub name: Text,
    /// Civil-servant number (NIP), when the holder has one; required for
    /// appointed officials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nip: Option<Nip>,
    /// For a holder without a NIP (an elected head, deputy or village
    /// head): an identifier the registrars give the person, the same in
    /// every mandate of that person, such as `sri-lestari-handayani`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<Id>,
}

impl Holder {
    /// Who the holder is, for separation of duties: `nip:<NIP>` or
    /// `person:<id>`; `None` if neither is given.
    pub fn identity(&self) -> Option<String> {
        match (&self.nip, &self.person) {
            (Some(nip), _) => Some(format!("nip:{nip}")),
            (None, Some(person)) => Some(format!("person:{person}")),
            (None, None) => None,
        }
    }
}

/// The legal basis of an act: a decree, a record, an approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Basis {
    /// What it is, such as `keputusan_mendagri` or `ministerial_approval`.
    pub kind: Text,
    /// Its number.
    pub number: Text,
    /// Its date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// SHA-256 of the signed document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256>,
}

/// A mandate (masa jabatan) as begun.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MandateSpec {
    /// Its id.
    pub id: Id,
    /// The office.
    pub office: Id,
    /// Who holds it.
    pub holder: Holder,
    /// How it was given.
    pub kind: MandateKind,
    /// Start of the term (may lie before the ledger).
    pub from: Date,
    /// Planned end of the term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
    /// The appointment decree.
    pub basis: Basis,
}

/// A registered document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentSpec {
    /// Its id.
    pub id: Id,
    /// What it is.
    pub kind: DocumentKind,
    /// Its number.
    pub number: Text,
    /// Its title.
    pub title: Text,
    /// Its date.
    pub date: Date,
    /// SHA-256 of the file.
    pub sha256: Sha256,
    /// Where it can be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<Text>,
}

/// A period of time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// Start.
    pub from: Date,
    /// End.
    pub until: Date,
}

/// A programme as registered or updated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeSpec {
    /// Its id.
    pub id: Id,
    /// Its title.
    pub title: Text,
    /// The smart-city pillar it serves.
    pub pillar: Id,
    /// Roadmap horizon.
    pub horizon: Horizon,
    /// The office that owns it.
    pub owner: Id,
    /// When it runs.
    pub period: Period,
    /// What it is.
    pub description: Text,
    /// Registered documents it rests on.
    #[serde(default)]
    pub documents: Vec<Id>,
}

/// A performance indicator of a commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Its id within the commitment.
    pub id: Id,
    /// What is measured.
    pub name: Text,
    /// Unit of measure.
    pub unit: Text,
    /// Value at the start.
    pub baseline: Text,
    /// Value promised.
    pub target: Text,
}

/// Money set aside for a commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Rupiah, as an integer string.
    pub amount: Amount,
    /// Always `IDR`.
    pub currency: Text,
    /// Where it comes from (APBD, DAK, …).
    pub source: Text,
}

/// A commitment as made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentSpec {
    /// Its id.
    pub id: Id,
    /// The programme it belongs to.
    pub programme: Id,
    /// Its title.
    pub title: Text,
    /// What is promised.
    pub description: Text,
    /// How it is measured.
    pub indicators: Vec<Indicator>,
    /// What it costs.
    pub budget: Budget,
    /// When it is due.
    pub due: Date,
}

/// The parts of a commitment an amendment may change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentChanges {
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// New indicators (replacing all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicators: Option<Vec<Indicator>>,
    /// New budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
    /// New due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
}

/// A milestone as scheduled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneSpec {
    /// Its id.
    pub id: Id,
    /// The commitment it belongs to.
    pub commitment: Id,
    /// Its title.
    pub title: Text,
    /// OCDS milestone type.
    #[serde(rename = "type")]
    pub kind: MilestoneType,
    /// When it is due.
    pub due: Date,
    /// Offices that must approve its report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvers: Option<Vec<Id>>,
}

/// Physical and financial progress, in percent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    /// Work done, 0 to 100.
    pub physical_pct: f64,
    /// Budget spent, 0 to 100.
    pub financial_pct: f64,
}

/// A piece of evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// What it is.
    pub title: Text,
    /// SHA-256 of the file.
    pub sha256: Sha256,
    /// Where it can be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<Text>,
}

/// What an audit note is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// Kind of subject.
    pub kind: SubjectKind,
    /// Its id (an entry index in decimal for `entry`).
    pub id: Id,
}
