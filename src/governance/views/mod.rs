//! What readers see: the state arranged for the read API and the
//! transparency site, with the statuses that depend on today's date
//! (`overdue`, `pending_approval`) derived at reading time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::*;
use super::state::*;
use crate::ledger::entry::parse_time;

mod continuity;
mod words;

pub use self::continuity::{Continuity, Decided, Term};
pub use self::words::{Words, rupiah};

/// A milestone's status as shown: the OCDS status, or `overdue` /
/// `pending_approval` derived at reading time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum MilestoneShown {
    Scheduled,
    Met,
    PartiallyMet,
    NotMet,
    #[serde(rename = "overdue")]
    Overdue,
    #[serde(rename = "pending_approval")]
    PendingApproval,
}

/// How a programme stands, from its commitments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ProgrammeStatus {
    /// No commitment yet.
    Registered,
    /// Some commitment is active, none awaits reaffirmation.
    Active,
    /// Some commitment awaits reaffirmation.
    AwaitingReaffirmation,
    /// Every commitment is completed or discontinued, at least one completed.
    Completed,
    /// Every commitment is discontinued.
    Discontinued,
}

/// A milestone with its derived status.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MilestoneView {
    /// The milestone.
    #[serde(flatten)]
    pub milestone: Milestone,
    /// Status as of reading.
    pub shown_status: MilestoneShown,
}

/// A commitment with its milestones.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CommitmentView {
    /// The commitment.
    #[serde(flatten)]
    pub commitment: Commitment,
    /// Its milestones.
    pub milestone_details: Vec<MilestoneView>,
    /// The newest audit notes about it or its milestones (at most
    /// [`RECENT_NOTES`]), newest first; every one at
    /// `/api/v1/commitments/{id}/audit-notes`.
    pub audit_notes: Vec<AuditNote>,
    /// How many audit notes there are about it or its milestones.
    pub audit_notes_total: usize,
}

/// A programme in a list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProgrammeSummary {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Pillar.
    pub pillar: String,
    /// Horizon.
    pub horizon: Horizon,
    /// Owner office.
    pub owner: String,
    /// Owner office's name.
    pub owner_name: String,
    /// Period.
    pub period: Period,
    /// Status.
    pub status: ProgrammeStatus,
    /// Number of commitments.
    pub commitments: usize,
    /// Sum of the current budgets of its open and completed commitments, rupiah.
    pub budget: String,
}

/// A page of programmes.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProgrammePage {
    /// Programmes matching the filters.
    pub total: usize,
    /// Page number, from 1.
    pub page: usize,
    /// Page size.
    pub per_page: usize,
    /// This page.
    pub items: Vec<ProgrammeSummary>,
}

/// Filters of the programme list.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgrammeFilter {
    /// Pillar id.
    pub pillar: Option<String>,
    /// Horizon.
    pub horizon: Option<Horizon>,
    /// Status.
    pub status: Option<ProgrammeStatus>,
    /// Owner office id.
    pub owner: Option<String>,
    /// Words the title must contain (any case).
    pub q: Option<String>,
    /// Page, from 1 (default 1).
    pub page: Option<usize>,
    /// Page size, 1 to 200 (default 50).
    pub per_page: Option<usize>,
}

/// How many audit notes a programme's or a commitment's view carries.
pub const RECENT_NOTES: usize = 20;
/// How many of the entries that concerned a programme its view carries.
pub const RECENT_ENTRIES: usize = 50;

/// Which page of a list to read: newest first, `per_page` 1 to 200
/// (default 50), `page` from 1.
#[derive(Clone, Copy, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Page, from 1 (default 1).
    pub page: Option<usize>,
    /// Page size, 1 to 200 (default 50).
    pub per_page: Option<usize>,
}

impl Paging {
    /// The page number and size asked for, within bounds.
    pub fn bounds(self) -> (usize, usize) {
        (
            self.page.unwrap_or(1).max(1),
            self.per_page.unwrap_or(50).clamp(1, 200),
        )
    }

    fn skip(self) -> usize {
        let (page, per_page) = self.bounds();
        (page - 1).saturating_mul(per_page)
    }
}

/// A page of the audit notes about a programme or a commitment, newest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditNotePage {
    /// How many notes there are.
    pub total: usize,
    /// Page number, from 1.
    pub page: usize,
    /// Page size.
    pub per_page: usize,
    /// This page.
    pub items: Vec<AuditNote>,
}

/// A page of the entries that concerned a programme, newest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EntryIndexPage {
    /// How many entries there are.
    pub total: usize,
    /// Page number, from 1.
    pub page: usize,
    /// Page size.
    pub per_page: usize,
    /// Entry indexes on this page.
    pub items: Vec<u64>,
}

/// A programme with everything in it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProgrammeView {
    /// The programme.
    #[serde(flatten)]
    pub programme: Programme,
    /// Status.
    pub status: ProgrammeStatus,
    /// Its commitments.
    pub commitment_details: Vec<CommitmentView>,
    /// The newest audit notes about it or anything in it (at most
    /// [`RECENT_NOTES`]), newest first; every one at
    /// `/api/v1/programmes/{id}/audit-notes`.
    pub audit_notes: Vec<AuditNote>,
    /// How many audit notes there are about it or anything in it.
    pub audit_notes_total: usize,
    /// The newest entries that concerned it or anything in it (at most
    /// [`RECENT_ENTRIES`]), newest first; every one at
    /// `/api/v1/programmes/{id}/entries`.
    pub entries: Vec<u64>,
    /// How many entries concerned it or anything in it.
    pub entries_total: usize,
    /// Names of the offices mentioned, by id.
    pub office_names: BTreeMap<String, String>,
}

/// An office with its holders over time.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OfficeView {
    /// The office.
    #[serde(flatten)]
    pub office: Office,
    /// The mandate active now.
    pub current: Option<String>,
    /// Every mandate, oldest first.
    pub holders: Vec<Mandate>,
    /// The handovers recorded between its holders, oldest first.
    pub handovers: Vec<Handover>,
}

/// A mandate with its office and keys.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MandateView {
    /// The mandate.
    #[serde(flatten)]
    pub mandate: Mandate,
    /// Whether it is active now.
    pub active: bool,
    /// Its office's name.
    pub office_name: String,
    /// Its keys.
    pub key_details: Vec<Key>,
}

/// A key with the mandates it is bound to.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    /// The key.
    #[serde(flatten)]
    pub key: Key,
    /// Its mandates.
    pub mandate_details: Vec<Mandate>,
}

fn milestone_shown(m: &Milestone, tz: chrono::FixedOffset, now: DateTime<Utc>) -> MilestoneShown {
    if m.pending_report.is_some() {
        return MilestoneShown::PendingApproval;
    }
    match m.status {
        MilestoneStatus::Scheduled if m.due.instant(tz) < now => MilestoneShown::Overdue,
        MilestoneStatus::Scheduled => MilestoneShown::Scheduled,
        MilestoneStatus::Met => MilestoneShown::Met,
        MilestoneStatus::PartiallyMet => MilestoneShown::PartiallyMet,
        MilestoneStatus::NotMet => MilestoneShown::NotMet,
    }
}

impl State {
    /// How a milestone stands at `now` (with `overdue` and
    /// `pending_approval` derived).
    pub fn milestone_status(&self, m: &Milestone, now: DateTime<Utc>) -> MilestoneShown {
        milestone_shown(m, self.time_zone(), now)
    }

    /// The milestones overdue at `now` (scheduled, due before it, no report
    /// awaiting approval), by id.
    pub fn overdue_milestones(&self, now: DateTime<Utc>) -> Vec<String> {
        let tz = self.time_zone();
        self.milestones
            .values()
            .filter(|m| milestone_shown(m, tz, now) == MilestoneShown::Overdue)
            .map(|m| m.id.clone())
            .collect()
    }

    /// A programme's status from its commitments.
    pub fn programme_status(&self, p: &Programme) -> ProgrammeStatus {
        let statuses: Vec<CommitmentStatus> = p
            .commitments
            .iter()
            .filter_map(|c| self.commitments.get(c))
            .map(|c| c.status)
            .collect();
        if statuses.is_empty() {
            ProgrammeStatus::Registered
        } else if statuses.contains(&CommitmentStatus::AwaitingReaffirmation) {
            ProgrammeStatus::AwaitingReaffirmation
        } else if statuses.contains(&CommitmentStatus::Active) {
            ProgrammeStatus::Active
        } else if statuses.contains(&CommitmentStatus::Completed) {
            ProgrammeStatus::Completed
        } else {
            ProgrammeStatus::Discontinued
        }
    }

    fn office_name(&self, id: &str) -> String {
        self.offices
            .get(id)
            .map_or_else(|| id.to_owned(), |o| o.spec.name.to_string())
    }

    /// A page of programmes matching `filter`, ordered by id.
    pub fn programme_page(&self, filter: &ProgrammeFilter) -> ProgrammePage {
        let per_page = filter.per_page.unwrap_or(50).clamp(1, 200);
        let page = filter.page.unwrap_or(1).max(1);
        let matching = self.programme_summaries(filter);
        ProgrammePage {
            total: matching.len(),
            page,
            per_page,
            items: matching
                .into_iter()
                .skip((page - 1).saturating_mul(per_page))
                .take(per_page)
                .collect(),
        }
    }

    /// Every programme matching `filter` (its paging ignored), ordered by id.
    pub fn programme_summaries(&self, filter: &ProgrammeFilter) -> Vec<ProgrammeSummary> {
        self.programmes
            .values()
            .filter(|p| {
                filter
                    .pillar
                    .as_deref()
                    .is_none_or(|x| p.spec.pillar.as_str() == x)
            })
            .filter(|p| filter.horizon.is_none_or(|x| p.spec.horizon == x))
            .filter(|p| {
                filter
                    .owner
                    .as_deref()
                    .is_none_or(|x| p.spec.owner.as_str() == x)
            })
            .filter(|p| filter.status.is_none_or(|x| self.programme_status(p) == x))
            .filter(|p| {
                filter.q.as_deref().is_none_or(|q| {
                    let title = p.spec.title.as_str().to_lowercase();
                    q.to_lowercase()
                        .split_whitespace()
                        .all(|w| title.contains(w))
                })
            })
            .map(|p| self.summary(p))
            .collect()
    }

    fn summary(&self, p: &Programme) -> ProgrammeSummary {
        let budget: u128 = p
            .commitments
            .iter()
            .filter_map(|c| self.commitments.get(c))
            .filter(|c| c.status != CommitmentStatus::Discontinued)
            .filter_map(|c| c.current().budget.amount.as_str().parse::<u128>().ok())
            .sum();
        ProgrammeSummary {
            id: p.spec.id.to_string(),
            title: p.spec.title.to_string(),
            pillar: p.spec.pillar.to_string(),
            horizon: p.spec.horizon,
            owner: p.spec.owner.to_string(),
            owner_name: self.office_name(p.spec.owner.as_str()),
            period: p.spec.period.clone(),
            status: self.programme_status(p),
            commitments: p.commitments.len(),
            budget: budget.to_string(),
        }
    }

    /// A milestone with its status as of `now`.
    pub fn milestone_view(&self, id: &str, now: DateTime<Utc>) -> Option<MilestoneView> {
        let m = self.milestones.get(id)?;
        Some(MilestoneView {
            shown_status: milestone_shown(m, self.time_zone(), now),
            milestone: m.clone(),
        })
    }

    fn notes(&self, window: crate::governance::histories::Window) -> Vec<AuditNote> {
        window
            .indexes
            .iter()
            .filter_map(|i| self.audit_notes.get(&i.to_string()).cloned())
            .collect()
    }

    fn note_page(
        &self,
        paging: Paging,
        list: impl FnOnce(usize, usize) -> crate::governance::histories::Window,
    ) -> AuditNotePage {
        let (page, per_page) = paging.bounds();
        let window = list(paging.skip(), per_page);
        AuditNotePage {
            total: window.total,
            page,
            per_page,
            items: self.notes(window),
        }
    }

    /// A page of the audit notes about programme `id` or anything in it,
    /// newest first; `None` if there is no such programme.
    pub fn programme_notes(&self, id: &str, paging: Paging) -> Option<AuditNotePage> {
        self.programmes.get(id)?;
        Some(self.note_page(paging, |skip, take| {
            self.histories.programme_notes(id, skip, take)
        }))
    }

    /// A page of the audit notes about commitment `id` or its milestones,
    /// newest first; `None` if there is no such commitment.
    pub fn commitment_notes(&self, id: &str, paging: Paging) -> Option<AuditNotePage> {
        self.commitments.get(id)?;
        Some(self.note_page(paging, |skip, take| {
            self.histories.commitment_notes(id, skip, take)
        }))
    }

    /// A page of the entries that concerned programme `id` or anything in
    /// it, newest first; `None` if there is no such programme.
    pub fn programme_entries(&self, id: &str, paging: Paging) -> Option<EntryIndexPage> {
        self.programmes.get(id)?;
        let (page, per_page) = paging.bounds();
        let window = self
            .histories
            .programme_entries(id, paging.skip(), per_page);
        Some(EntryIndexPage {
            total: window.total,
            page,
            per_page,
            items: window.indexes,
        })
    }

    /// A commitment with its milestones, as of `now`.
    pub fn commitment_view(&self, id: &str, now: DateTime<Utc>) -> Option<CommitmentView> {
        let c = self.commitments.get(id)?;
        Some(CommitmentView {
            milestone_details: c
                .milestones
                .iter()
                .filter_map(|m| self.milestone_view(m, now))
                .collect(),
            audit_notes: self.notes(self.histories.commitment_notes(id, 0, RECENT_NOTES)),
            audit_notes_total: self.histories.commitment_notes(id, 0, 0).total,
            commitment: c.clone(),
        })
    }

    /// A programme with everything in it, as of `now`.
    pub fn programme_view(&self, id: &str, now: DateTime<Utc>) -> Option<ProgrammeView> {
        let p = self.programmes.get(id)?;
        let commitment_details: Vec<CommitmentView> = p
            .commitments
            .iter()
            .filter_map(|c| self.commitment_view(c, now))
            .collect();
        let mut office_names = BTreeMap::new();
        let mut note = |office: &str| {
            office_names.insert(office.to_owned(), self.office_name(office));
        };
        note(p.spec.owner.as_str());
        for c in &commitment_details {
            for s in c.commitment.events.iter().flat_map(|e| &e.signers) {
                if let Some(o) = &s.office {
                    note(o);
                }
            }
            for m in &c.milestone_details {
                for a in &m.milestone.approvers {
                    note(a);
                }
                for r in &m.milestone.reports {
                    for s in r
                        .signers
                        .iter()
                        .chain(r.approvals.iter().map(|a| &a.signer))
                    {
                        if let Some(o) = &s.office {
                            note(o);
                        }
                    }
                }
            }
        }
        let entries = self.histories.programme_entries(id, 0, RECENT_ENTRIES);
        Some(ProgrammeView {
            status: self.programme_status(p),
            audit_notes: self.notes(self.histories.programme_notes(id, 0, RECENT_NOTES)),
            audit_notes_total: self.histories.programme_notes(id, 0, 0).total,
            entries: entries.indexes,
            entries_total: entries.total,
            programme: p.clone(),
            commitment_details,
            office_names,
        })
    }

    /// An office with its holders, as of `now`.
    pub fn office_view(&self, id: &str, now: DateTime<Utc>) -> Option<OfficeView> {
        let o = self.offices.get(id)?;
        Some(OfficeView {
            current: self.active_mandate(id, now).map(|m| m.spec.id.to_string()),
            holders: o
                .mandates
                .iter()
                .filter_map(|m| self.mandates.get(m).cloned())
                .collect(),
            handovers: {
                let mut handovers: Vec<Handover> = self
                    .handovers
                    .values()
                    .filter(|h| h.office == id)
                    .cloned()
                    .collect();
                handovers.sort_by_key(|h| h.recorded.entry);
                handovers
            },
            office: o.clone(),
        })
    }

    /// A mandate, as of `now`.
    pub fn mandate_view(&self, id: &str, now: DateTime<Utc>) -> Option<MandateView> {
        let m = self.mandates.get(id)?;
        Some(MandateView {
            active: self.is_active(m, now),
            office_name: self.office_name(m.spec.office.as_str()),
            key_details: m
                .keys
                .iter()
                .filter_map(|k| self.keys.get(k).cloned())
                .collect(),
            mandate: m.clone(),
        })
    }

    /// A key.
    pub fn key_view(&self, keyid: &str) -> Option<KeyView> {
        let k = self.keys.get(keyid)?;
        Some(KeyView {
            mandate_details: k
                .mandates
                .iter()
                .filter_map(|m| self.mandates.get(m).cloned())
                .collect(),
            key: k.clone(),
        })
    }
}
