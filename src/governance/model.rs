//! The statements of the governance model, as typed payloads.
//!
//! Each payload is parsed from the statement object (less its `type`,
//! `ledger` and `id`) with unknown fields refused, into types that can only
//! hold valid values: ids, dates, hashes and keys are checked once here.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone as _, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ledger::statement::is_valid_id;

/// Longest free text accepted in a statement field.
pub const MAX_TEXT: usize = 8000;

macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $check:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String)]
        pub struct $name(String);

        impl $name {
            /// Parses `text`, refusing anything that is not valid.
            pub fn parse(text: &str) -> Result<Self, String> {
                let check: fn(&str) -> bool = $check;
                if check(text) {
                    Ok(Self(text.to_owned()))
                } else {
                    Err(format!(concat!("{:?} is not ", $what), text))
                }
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

checked_string!(
    /// An identifier of an office, mandate, programme, commitment, milestone
    /// or document: 1 to 128 of `[A-Za-z0-9._:-]`.
    Id,
    is_valid_id,
    "an id (1 to 128 of A-Z a-z 0-9 . _ : -)"
);
checked_string!(
    /// An Ed25519 public key: 64 lowercase hex digits of a valid point.
    KeyId,
    |t| t.len() == 64
        && t.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && hex::decode(t)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .is_some_and(|b| ed25519_dalek::VerifyingKey::from_bytes(&b).is_ok()),
    "an Ed25519 public key in 64 lowercase hex digits"
);
checked_string!(
    /// A SHA-256 digest: 64 lowercase hex digits.
    Sha256,
    |t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
    "a SHA-256 digest in 64 lowercase hex digits"
);
checked_string!(
    /// An amount of rupiah: a non-negative integer in decimal digits.
    Amount,
    |t| !t.is_empty()
        && t.len() <= 20
        && t.bytes().all(|b| b.is_ascii_digit())
        && (t == "0" || !t.starts_with('0')),
    "an amount (an integer in decimal digits, no sign, no leading zero)"
);
checked_string!(
    /// A civil servant's number (NIP, Nomor Induk Pegawai) in its one
    /// spelling: 18 digits, no spaces — the birth date (YYYYMMDD), the
    /// appointment month (YYYYMM), the sex (1 or 2) and a sequence number.
    /// One spelling makes one person one NIP.
    Nip,
    |t| t.len() == 18
        && t.bytes().all(|b| b.is_ascii_digit())
        && NaiveDate::parse_from_str(&t[..8], "%Y%m%d").is_ok()
        && matches!(&t[14..15], "1" | "2"),
    "an 18-digit NIP without spaces (birth date, appointment month, sex 1 or 2, sequence)"
);
checked_string!(
    /// Free text: not blank, at most 8000 characters.
    Text,
    |t| !t.trim().is_empty() && t.chars().count() <= MAX_TEXT,
    "text (not blank, at most 8000 characters)"
);

/// A date or date-time in RFC 3339: `2026-02-20` or `2026-02-20T09:00:00+07:00`.
/// A date alone means the start of that day in the government's time zone.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, utoipa::ToSchema)]
#[schema(value_type = String)]
pub struct Date(String);

impl Date {
    /// Parses an RFC 3339 full-date or date-time.
    pub fn parse(text: &str) -> Result<Date, String> {
        let ok = if text.len() == 10 {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
        } else {
            DateTime::parse_from_rfc3339(text).is_ok()
        };
        if ok {
            Ok(Date(text.to_owned()))
        } else {
            Err(format!(
                "{text:?} is not an RFC 3339 date (2026-02-20) or date-time (2026-02-20T09:00:00+07:00)"
            ))
        }
    }

    /// The instant it names, reading a date alone in time zone `tz`.
    pub fn instant(&self, tz: FixedOffset) -> DateTime<Utc> {
        if let Ok(t) = DateTime::parse_from_rfc3339(&self.0) {
            return t.with_timezone(&Utc);
        }
        let day = NaiveDate::parse_from_str(&self.0, "%Y-%m-%d").unwrap_or_default();
        let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        tz.from_local_datetime(&midnight)
            .single()
            .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The government's time zone: one of Indonesia's three, by IANA name.
pub fn time_zone_offset(name: &str) -> Option<FixedOffset> {
    let hours = match name {
        "Asia/Jakarta" | "Asia/Pontianak" => 7,
        "Asia/Makassar" => 8,
        "Asia/Jayapura" => 9,
        _ => return None,
    };
    FixedOffset::east_opt(hours * 3600)
}

/// What an office is in the regional government.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Bupati or Wali Kota.
    HeadOfRegion,
    /// Wakil Bupati.
    DeputyHead,
    /// Sekretaris Daerah.
    Secretary,
    /// Bappeda.
    Planning,
    /// Inspektorat.
    Inspectorate,
    /// Kepala Dinas or Badan (organisasi perangkat daerah).
    OpdHead,
    /// Camat.
    SubDistrictHead,
    /// Kepala Desa.
    VillageHead,
    /// Anything else.
    Other,
}

impl Role {
    /// The name used in messages.
    pub fn describe(self) -> &'static str {
        match self {
            Role::HeadOfRegion => "the head of region (Bupati)",
            Role::DeputyHead => "the deputy head (Wakil Bupati)",
            Role::Secretary => "the regional secretary (Sekda)",
            Role::Planning => "the planning office (Bappeda)",
            Role::Inspectorate => "the inspectorate (Inspektorat)",
            Role::OpdHead => "a head of a regional office (Kepala OPD)",
            Role::SubDistrictHead => "a sub-district head (Camat)",
            Role::VillageHead => "a village head (Kepala Desa)",
            Role::Other => "an office",
        }
    }
}

/// How a mandate was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MandateKind {
    /// Elected or appointed holder.
    Definitive,
    /// Pelaksana Tugas (Plt).
    Acting,
    /// Pelaksana Harian (Plh).
    Daily,
    /// Penjabat (Pj).
    Caretaker,
}

impl MandateKind {
    /// Whether the holder is an interim head (Plt, Plh, Pj).
    pub fn is_interim(self) -> bool {
        self != MandateKind::Definitive
    }
}

/// Kinds of planning and legal documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[allow(missing_docs)]
pub enum DocumentKind {
    #[serde(rename = "RPJPD")]
    Rpjpd,
    #[serde(rename = "RPJMD")]
    Rpjmd,
    #[serde(rename = "RKPD")]
    Rkpd,
    Renstra,
    Masterplan,
    Perbup,
    Perda,
    #[serde(rename = "SK")]
    Sk,
    BeritaAcara,
    Other,
}

/// Roadmap horizon of a programme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Horizon {
    QuickWin,
    Short,
    Medium,
    Long,
}

/// OCDS milestone types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum MilestoneType {
    PreProcurement,
    Approval,
    Engagement,
    Assessment,
    Delivery,
    Reporting,
    Financing,
    Payment,
}

/// A reported or assessed milestone status (OCDS).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum Assessment {
    Met,
    PartiallyMet,
    NotMet,
}

/// An approver's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Decision {
    Approve,
    Reject,
}

/// Severity of an audit finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
}

/// What an audit note is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum SubjectKind {
    Programme,
    Commitment,
    Milestone,
    Entry,
}

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

/// The six national smart-city dimensions.
pub fn default_pillars() -> Vec<Pillar> {
    let p = |id: &str, name_id: &str, name_en: &str| Pillar {
        id: Id(id.into()),
        name_id: Text(name_id.into()),
        name_en: Text(name_en.into()),
    };
    vec![
        p("governance", "Tata Kelola Cerdas", "Smart Governance"),
        p("branding", "Branding Cerdas", "Smart Branding"),
        p("economy", "Ekonomi Cerdas", "Smart Economy"),
        p("living", "Kehidupan Cerdas", "Smart Living"),
        p("society", "Masyarakat Cerdas", "Smart Society"),
        p("environment", "Lingkungan Cerdas", "Smart Environment"),
    ]
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

impl Role {
    /// Whether the office is filled by appointing a civil servant (who has
    /// a NIP), rather than by election.
    pub fn is_appointed(self) -> bool {
        matches!(
            self,
            Role::Secretary
                | Role::Planning
                | Role::Inspectorate
                | Role::OpdHead
                | Role::SubDistrictHead
        )
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

/// Every governance statement, by `type`, without `type`, `ledger` and `id`.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)]
pub enum Statement {
    Genesis {
        government: Government,
        registrars: Registrars,
        pillars: Vec<Pillar>,
    },
    RegistrarsUpdate(Registrars),
    OfficeEstablish(OfficeSpec),
    MandateBegin {
        mandate: MandateSpec,
        keys: Vec<KeyId>,
    },
    MandateEnd {
        mandate: Id,
        at: Date,
        reason: Text,
    },
    KeyAdd {
        mandate: Id,
        key: KeyId,
    },
    KeyRevoke {
        key: KeyId,
        reason: Text,
        compromised_since: Option<Date>,
    },
    DocumentRegister(DocumentSpec),
    ProgrammeRegister(ProgrammeSpec),
    ProgrammeUpdate(ProgrammeSpec),
    CommitmentMake(CommitmentSpec),
    CommitmentAmend {
        commitment: Id,
        changes: CommitmentChanges,
        justification: Text,
    },
    CommitmentReaffirm {
        commitment: Id,
        note: Option<Text>,
    },
    CommitmentDiscontinue {
        commitment: Id,
        justification: Text,
        basis: Basis,
    },
    CommitmentComplete {
        commitment: Id,
        note: Option<Text>,
    },
    MilestoneSchedule(MilestoneSpec),
    MilestoneReschedule {
        milestone: Id,
        due: Date,
        justification: Text,
    },
    MilestoneReport {
        milestone: Id,
        status: Assessment,
        date_met: Option<Date>,
        progress: Progress,
        evidence: Vec<Evidence>,
        note: Option<Text>,
    },
    MilestoneApprove {
        milestone: Id,
        report: u64,
        decision: Decision,
        note: Option<Text>,
    },
    HandoverRecord {
        office: Id,
        outgoing: Id,
        incoming: Id,
        at: Date,
        basis: Basis,
        open_commitments: Vec<Id>,
        notes: Option<Text>,
    },
    AuditNote {
        subject: Subject,
        finding: Text,
        severity: Severity,
        recommendation: Option<Text>,
    },
    AuditResponse {
        note: u64,
        response: Text,
    },
}

/// Every statement type the ledger accepts.
pub const TYPES: [&str; 22] = [
    "ledger.genesis",
    "registrars.update",
    "office.establish",
    "mandate.begin",
    "mandate.end",
    "key.add",
    "key.revoke",
    "document.register",
    "programme.register",
    "programme.update",
    "commitment.make",
    "commitment.amend",
    "commitment.reaffirm",
    "commitment.discontinue",
    "commitment.complete",
    "milestone.schedule",
    "milestone.reschedule",
    "milestone.report",
    "milestone.approve",
    "handover.record",
    "audit.note",
    "audit.response",
];

/// Why a statement could not be read: the field and the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Dotted path of the field at fault (`type` for an unknown type).
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

mod wire {
    //! Wire shapes of the statements that are not a single object.
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Genesis {
        pub government: Government,
        pub registrars: Registrars,
        #[serde(default)]
        pub pillars: Option<Vec<Pillar>>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Office {
        pub office: OfficeSpec,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct MandateBegin {
        pub mandate: MandateSpec,
        pub keys: Vec<KeyId>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct MandateEnd {
        pub mandate: Id,
        pub at: Date,
        pub reason: Text,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct KeyAdd {
        pub mandate: Id,
        pub key: KeyId,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct KeyRevoke {
        pub key: KeyId,
        pub reason: Text,
        #[serde(default)]
        pub compromised_since: Option<Date>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Document {
        pub document: DocumentSpec,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Programme {
        pub programme: ProgrammeSpec,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Commitment {
        pub commitment: CommitmentSpec,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Amend {
        pub commitment: Id,
        pub changes: CommitmentChanges,
        pub justification: Text,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct CommitmentNote {
        pub commitment: Id,
        #[serde(default)]
        pub note: Option<Text>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Discontinue {
        pub commitment: Id,
        pub justification: Text,
        pub basis: Basis,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Milestone {
        pub milestone: MilestoneSpec,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Reschedule {
        pub milestone: Id,
        pub due: Date,
        pub justification: Text,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Report {
        pub milestone: Id,
        pub status: Assessment,
        #[serde(default)]
        pub date_met: Option<Date>,
        pub progress: Progress,
        #[serde(default)]
        pub evidence: Vec<Evidence>,
        #[serde(default)]
        pub note: Option<Text>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Approve {
        pub milestone: Id,
        pub report: u64,
        pub decision: Decision,
        #[serde(default)]
        pub note: Option<Text>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Handover {
        pub office: Id,
        pub outgoing: Id,
        pub incoming: Id,
        pub at: Date,
        pub basis: Basis,
        pub open_commitments: Vec<Id>,
        #[serde(default)]
        pub notes: Option<Text>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Note {
        pub subject: Subject,
        pub finding: Text,
        pub severity: Severity,
        #[serde(default)]
        pub recommendation: Option<Text>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Response {
        pub note: u64,
        pub response: Text,
    }
}

fn read<T: serde::de::DeserializeOwned>(
    fields: &serde_json::Map<String, serde_json::Value>,
) -> Result<T, ParseError> {
    let value = serde_json::Value::Object(fields.clone());
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde names unknown and missing fields in the message; put the
        // field itself in the path so the reader sees where to look.
        let field = match (path.as_str(), missing_field(&inner)) {
            (".", Some(name)) => name,
            (p, Some(name)) => format!("{p}.{name}"),
            (".", None) => "(statement)".to_owned(),
            (p, None) => p.to_owned(),
        };
        ParseError {
            field,
            problem: inner,
        }
    })
}

/// serde names a missing field in its message, and the path stops at its
/// parent: the field's own name completes the path.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_owned)
}

impl Statement {
    /// Parses the statement of `statement_type` from its whole object
    /// (`type`, `ledger` and `id` are ignored here: the core checked them).
    pub fn parse(
        statement_type: &str,
        object: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Statement, ParseError> {
        let mut fields = object.clone();
        for core in ["type", "ledger", "id"] {
            fields.remove(core);
        }
        let f = &fields;
        Ok(match statement_type {
            "ledger.genesis" => {
                let g: wire::Genesis = read(f)?;
                Statement::Genesis {
                    government: g.government,
                    registrars: g.registrars,
                    pillars: g.pillars.unwrap_or_else(default_pillars),
                }
            }
            "registrars.update" => Statement::RegistrarsUpdate(read(f)?),
            "office.establish" => Statement::OfficeEstablish(read::<wire::Office>(f)?.office),
            "mandate.begin" => {
                let m: wire::MandateBegin = read(f)?;
                Statement::MandateBegin {
                    mandate: m.mandate,
                    keys: m.keys,
                }
            }
            "mandate.end" => {
                let m: wire::MandateEnd = read(f)?;
                Statement::MandateEnd {
                    mandate: m.mandate,
                    at: m.at,
                    reason: m.reason,
                }
            }
            "key.add" => {
                let k: wire::KeyAdd = read(f)?;
                Statement::KeyAdd {
                    mandate: k.mandate,
                    key: k.key,
                }
            }
            "key.revoke" => {
                let k: wire::KeyRevoke = read(f)?;
                Statement::KeyRevoke {
                    key: k.key,
                    reason: k.reason,
                    compromised_since: k.compromised_since,
                }
            }
            "document.register" => Statement::DocumentRegister(read::<wire::Document>(f)?.document),
            "programme.register" => {
                Statement::ProgrammeRegister(read::<wire::Programme>(f)?.programme)
            }
            "programme.update" => Statement::ProgrammeUpdate(read::<wire::Programme>(f)?.programme),
            "commitment.make" => Statement::CommitmentMake(read::<wire::Commitment>(f)?.commitment),
            "commitment.amend" => {
                let a: wire::Amend = read(f)?;
                Statement::CommitmentAmend {
                    commitment: a.commitment,
                    changes: a.changes,
                    justification: a.justification,
                }
            }
            "commitment.reaffirm" => {
                let n: wire::CommitmentNote = read(f)?;
                Statement::CommitmentReaffirm {
                    commitment: n.commitment,
                    note: n.note,
                }
            }
            "commitment.discontinue" => {
                let d: wire::Discontinue = read(f)?;
                Statement::CommitmentDiscontinue {
                    commitment: d.commitment,
                    justification: d.justification,
                    basis: d.basis,
                }
            }
            "commitment.complete" => {
                let n: wire::CommitmentNote = read(f)?;
                Statement::CommitmentComplete {
                    commitment: n.commitment,
                    note: n.note,
                }
            }
            "milestone.schedule" => {
                Statement::MilestoneSchedule(read::<wire::Milestone>(f)?.milestone)
            }
            "milestone.reschedule" => {
                let r: wire::Reschedule = read(f)?;
                Statement::MilestoneReschedule {
                    milestone: r.milestone,
                    due: r.due,
                    justification: r.justification,
                }
            }
            "milestone.report" => {
                let r: wire::Report = read(f)?;
                Statement::MilestoneReport {
                    milestone: r.milestone,
                    status: r.status,
                    date_met: r.date_met,
                    progress: r.progress,
                    evidence: r.evidence,
                    note: r.note,
                }
            }
            "milestone.approve" => {
                let a: wire::Approve = read(f)?;
                Statement::MilestoneApprove {
                    milestone: a.milestone,
                    report: a.report,
                    decision: a.decision,
                    note: a.note,
                }
            }
            "handover.record" => {
                let h: wire::Handover = read(f)?;
                Statement::HandoverRecord {
                    office: h.office,
                    outgoing: h.outgoing,
                    incoming: h.incoming,
                    at: h.at,
                    basis: h.basis,
                    open_commitments: h.open_commitments,
                    notes: h.notes,
                }
            }
            "audit.note" => {
                let n: wire::Note = read(f)?;
                Statement::AuditNote {
                    subject: n.subject,
                    finding: n.finding,
                    severity: n.severity,
                    recommendation: n.recommendation,
                }
            }
            "audit.response" => {
                let r: wire::Response = read(f)?;
                Statement::AuditResponse {
                    note: r.note,
                    response: r.response,
                }
            }
            other => {
                return Err(ParseError {
                    field: "type".into(),
                    problem: format!(
                        "unknown statement type {other:?}; this ledger accepts: {}",
                        TYPES.join(", ")
                    ),
                });
            }
        })
    }
}
