//! The report's sections read off the replayed state: the head of
//! region's terms, the programmes touched, the commitments awaiting
//! reaffirmation, and the open commitments a handover should list.

use serde::Serialize;

use super::contents::{
    Awaiting, Change, CommitmentReport, MilestoneLine, MilestoneReportLine, ProgrammeReport,
    TermDecision, TermReport,
};
use crate::governance::State;
use crate::governance::state::{CommitmentAction, CommitmentStatus};

/// A serialized enum's name, such as `awaiting_reaffirmation`.
pub(super) fn json_word<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Open commitments (active or awaiting reaffirmation) with their
/// programme's owner office.
pub(super) fn open_commitments(state: &State) -> Vec<(String, String)> {
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

pub(super) fn terms(
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

pub(super) fn basis_words(basis: &crate::governance::model::Basis) -> String {
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

pub(super) fn programmes(
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

pub(super) fn awaiting(state: &State, as_of: chrono::DateTime<chrono::Utc>) -> Vec<Awaiting> {
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
