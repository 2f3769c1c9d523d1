//! The vocabulary of the model: roles, kinds of mandate and document,
//! horizons, OCDS milestone types and statuses.

use serde::{Deserialize, Serialize};

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
