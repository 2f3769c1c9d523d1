//! The continuity report: each head-of-region term, and what it did with
//! the commitments it inherited and made.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::*;

/// A commitment decision in a term.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Decided {
    /// The commitment.
    pub commitment: String,
    /// Its title now.
    pub title: String,
    /// The entry.
    pub entry: u64,
    /// Justification or note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Legal basis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
}

/// One head-of-region term and what it did with the commitments.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Term {
    /// The mandate.
    pub mandate: String,
    /// The office.
    pub office: String,
    /// The holder.
    pub holder: Holder,
    /// Definitive, acting, daily or caretaker.
    pub kind: MandateKind,
    /// Start of the term.
    pub from: Date,
    /// Planned end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
    /// Its end, once ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<MandateEnd>,
    /// The `mandate.begin` entry.
    pub begun: At,
    /// Open commitments it inherited.
    pub inherited: Vec<String>,
    /// Commitments it made.
    pub made: Vec<Decided>,
    /// Reaffirmed.
    pub reaffirmed: Vec<Decided>,
    /// Amended.
    pub amended: Vec<Decided>,
    /// Discontinued, with justification.
    pub discontinued: Vec<Decided>,
    /// Completed.
    pub completed: Vec<Decided>,
    /// Inherited and never reaffirmed, amended or discontinued in this term.
    pub left_awaiting: Vec<String>,
    /// Milestones assessed met in this term.
    pub milestones_met: Vec<String>,
    /// Assessed partially met.
    pub milestones_partially_met: Vec<String>,
    /// Assessed not met.
    pub milestones_not_met: Vec<String>,
    /// Due in this term and not met by their due date.
    pub milestones_overdue: Vec<String>,
}

/// The continuity report.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Continuity {
    /// Entries the report covers.
    pub tree_size: u64,
    /// Head-of-region terms, in the order they began.
    pub terms: Vec<Term>,
}

impl State {
    /// The continuity report, as of `now`.
    pub fn continuity(&self, tree_size: u64, now: DateTime<Utc>) -> Continuity {
        let tz = self.time_zone();
        let mut heads: Vec<&Mandate> = self
            .mandates
            .values()
            .filter(|m| {
                self.offices
                    .get(m.spec.office.as_str())
                    .is_some_and(|o| o.spec.role == Role::HeadOfRegion)
            })
            .collect();
        heads.sort_by_key(|m| m.begun.entry);
        let title = |c: &str| {
            self.commitments
                .get(c)
                .map_or_else(String::new, |c| c.current().title.to_string())
        };
        let terms = heads
            .into_iter()
            .map(|m| {
                let id = m.spec.id.as_str();
                let mut term = Term {
                    mandate: id.to_owned(),
                    office: m.spec.office.to_string(),
                    holder: m.spec.holder.clone(),
                    kind: m.spec.kind,
                    from: m.spec.from.clone(),
                    until: m.spec.until.clone(),
                    ended: m.ended.clone(),
                    begun: m.begun.clone(),
                    inherited: Vec::new(),
                    made: Vec::new(),
                    reaffirmed: Vec::new(),
                    amended: Vec::new(),
                    discontinued: Vec::new(),
                    completed: Vec::new(),
                    left_awaiting: Vec::new(),
                    milestones_met: Vec::new(),
                    milestones_partially_met: Vec::new(),
                    milestones_not_met: Vec::new(),
                    milestones_overdue: Vec::new(),
                };
                for c in self.commitments.values() {
                    let mut awaiting = false;
                    for e in c
                        .events
                        .iter()
                        .filter(|e| e.head_mandate.as_deref() == Some(id))
                    {
                        let decided = Decided {
                            commitment: c.id.clone(),
                            title: title(&c.id),
                            entry: e.recorded.entry,
                            text: e.text.as_ref().map(|t| t.to_string()),
                            basis: e.basis.clone(),
                        };
                        match e.action {
                            CommitmentAction::Inherited => {
                                term.inherited.push(c.id.clone());
                                awaiting = true;
                            }
                            CommitmentAction::Made => term.made.push(decided),
                            CommitmentAction::Reaffirmed => {
                                awaiting = false;
                                term.reaffirmed.push(decided);
                            }
                            CommitmentAction::Amended => {
                                awaiting = false;
                                term.amended.push(decided);
                            }
                            CommitmentAction::Discontinued => {
                                awaiting = false;
                                term.discontinued.push(decided);
                            }
                            CommitmentAction::Completed => term.completed.push(decided),
                        }
                    }
                    if awaiting {
                        term.left_awaiting.push(c.id.clone());
                    }
                }
                let begun = m.begun.entry;
                let ended = m.ended.as_ref().map_or(u64::MAX, |e| e.recorded.entry);
                let start = m.spec.from.instant(tz);
                let end = m
                    .ended
                    .as_ref()
                    .map(|e| e.at.instant(tz))
                    .or_else(|| m.spec.until.as_ref().map(|u| u.instant(tz)))
                    .map_or(now, |e| e.min(now));
                for ms in self.milestones.values() {
                    if let Some(a) = &ms.assessed
                        && a.entry >= begun
                        && a.entry < ended
                    {
                        let list = match ms.status {
                            MilestoneStatus::Met => &mut term.milestones_met,
                            MilestoneStatus::PartiallyMet => &mut term.milestones_partially_met,
                            MilestoneStatus::NotMet => &mut term.milestones_not_met,
                            MilestoneStatus::Scheduled => continue,
                        };
                        list.push(ms.id.clone());
                    }
                    let due = ms.due.instant(tz);
                    // Met in time: by the date the approved report gives,
                    // else by when the approval was recorded.
                    let met_at = ms.assessed.as_ref().and_then(|a| {
                        let report = ms.reports.iter().find(|r| {
                            r.outcome == ReportOutcome::Accepted && r.status == Assessment::Met
                        });
                        match report.and_then(|r| r.date_met.as_ref()) {
                            Some(d) => Some(d.instant(tz)),
                            None => parse_time(&a.recorded_at),
                        }
                    });
                    let met_in_time =
                        ms.status == MilestoneStatus::Met && met_at.is_some_and(|t| t <= due);
                    if due >= start && due < end && !met_in_time {
                        term.milestones_overdue.push(ms.id.clone());
                    }
                }
                term
            })
            .collect();
        Continuity { tree_size, terms }
    }
}
