//! Milestones: scheduled, rescheduled, reported and approved with separation of duties.

use std::collections::BTreeSet;

use serde_json::json;

use super::authority::Need;
use super::{Ctx, Verdict};
use crate::governance::model::payload;
use crate::governance::model::*;
use crate::governance::state::*;
use crate::ledger::rules::{Refusal, RefusalKind};

impl State {
    pub(super) fn milestone_schedule(
        &mut self,
        ctx: &Ctx,
        p: payload::MilestoneSchedule,
    ) -> Verdict {
        let payload::MilestoneSchedule { milestone } = p;
        let (commitment_id, owner) = self.open_commitment(ctx, &milestone.commitment)?;
        self.require_all(ctx, &[Need::Office(owner.clone())])?;
        let id = milestone.id.to_string();
        if self.milestones.contains_key(&id) {
            return Err(ctx.invalid("milestone.id", format!("milestone {id} already exists")));
        }
        let approvers = self.approvers(ctx, &owner, milestone.approvers.as_deref())?;
        // Found above; looked up before anything changes.
        self.commitments
            .get_mut(&commitment_id)
            .ok_or_else(|| ctx.inconsistent(format!("commitment {commitment_id}")))?
            .milestones
            .push(id.clone());
        self.milestones.insert(
            id.clone(),
            Milestone {
                id: id.clone(),
                commitment: commitment_id.clone(),
                title: milestone.title,
                kind: milestone.kind,
                due: milestone.due,
                approvers,
                status: MilestoneStatus::Scheduled,
                scheduled: ctx.at.clone(),
                assessed: None,
                pending_report: None,
                reports: Vec::new(),
                reschedules: Vec::new(),
            },
        );
        ctx.touch("milestone", id);
        self.touch_commitment(&commitment_id, ctx);
        Ok(())
    }

    pub(super) fn milestone_reschedule(
        &mut self,
        ctx: &Ctx,
        p: payload::MilestoneReschedule,
    ) -> Verdict {
        let payload::MilestoneReschedule {
            milestone,
            due,
            justification,
        } = p;
        let (id, commitment, owner) = self.open_milestone(ctx, &milestone)?;
        self.require_owner_and_head(ctx, owner)?;
        let m = self
            .milestones
            .get_mut(&id)
            .ok_or_else(|| ctx.inconsistent(format!("milestone {id}")))?;
        if m.status == MilestoneStatus::Met {
            return Err(ctx.invalid("milestone", format!("milestone {id} is already met")));
        }
        let from = std::mem::replace(&mut m.due, due.clone());
        m.reschedules.push(Reschedule {
            recorded: ctx.at.clone(),
            from,
            to: due,
            justification,
        });
        ctx.touch("milestone", id);
        self.touch_commitment(&commitment, ctx);
        Ok(())
    }

    pub(super) fn milestone_report(&mut self, ctx: &Ctx, p: payload::MilestoneReport) -> Verdict {
        let payload::MilestoneReport {
            milestone,
            status,
            date_met,
            progress,
            evidence,
            note,
        } = p;
        let (id, commitment, owner) = self.open_milestone(ctx, &milestone)?;
        self.require_all(ctx, &[Need::Office(owner)])?;
        for (field, value) in [
            ("progress.physical_pct", progress.physical_pct),
            ("progress.financial_pct", progress.financial_pct),
        ] {
            if !(0.0..=100.0).contains(&value) {
                return Err(ctx.invalid(field, "must be between 0 and 100"));
            }
        }
        if date_met.is_some() && status == Assessment::NotMet {
            return Err(ctx.invalid("date_met", "a milestone that was not met has no date_met"));
        }
        let m = self
            .milestones
            .get_mut(&id)
            .ok_or_else(|| ctx.inconsistent(format!("milestone {id}")))?;
        if m.status == MilestoneStatus::Met {
            return Err(ctx.invalid("milestone", format!("milestone {id} is already met")));
        }
        for r in &mut m.reports {
            if r.outcome == ReportOutcome::Pending {
                r.outcome = ReportOutcome::Superseded;
            }
        }
        m.reports.push(Report {
            recorded: ctx.at.clone(),
            status,
            date_met,
            progress,
            evidence,
            note,
            signers: ctx.signed_by(),
            approvals: Vec::new(),
            outcome: ReportOutcome::Pending,
        });
        m.pending_report = Some(ctx.index);
        ctx.touch("milestone", id);
        self.touch_commitment(&commitment, ctx);
        Ok(())
    }

    pub(super) fn milestone_approve(&mut self, ctx: &Ctx, p: payload::MilestoneApprove) -> Verdict {
        let payload::MilestoneApprove {
            milestone,
            report,
            decision,
            note,
        } = p;
        self.approve(ctx, &milestone, report, decision, note)?;
        Ok(())
    }

    /// A milestone of an open commitment: its id, commitment and owner office.
    pub(super) fn open_milestone(
        &self,
        ctx: &Ctx,
        id: &Id,
    ) -> Result<(String, String, String), Refusal> {
        let Some(m) = self.milestones.get(id.as_str()) else {
            return Err(ctx.invalid("milestone", format!("no milestone {id}")));
        };
        let commitment = Id::parse(&m.commitment).map_err(|e| ctx.invalid("milestone", e))?;
        let (commitment, owner) = self.open_commitment(ctx, &commitment).map_err(|_| {
            ctx.invalid(
                "milestone",
                format!("the commitment of milestone {id} is closed"),
            )
        })?;
        Ok((m.id.clone(), commitment, owner))
    }

    pub(super) fn approvers(
        &self,
        ctx: &Ctx,
        owner: &str,
        given: Option<&[Id]>,
    ) -> Result<Vec<String>, Refusal> {
        let approvers: Vec<String> = match given {
            Some(list) => list.iter().map(Id::to_string).collect(),
            None => {
                let mut list = Vec::new();
                for role in [Role::Planning, Role::Inspectorate] {
                    match self.offices_with_role(role).first() {
                        Some(o) => list.push(o.spec.id.to_string()),
                        None => {
                            return Err(ctx.invalid(
                                "milestone.approvers",
                                format!("no office with role {role:?} is established to approve by default; name the approvers"),
                            ));
                        }
                    }
                }
                list
            }
        };
        let mut seen = BTreeSet::new();
        let mut inspectorate = false;
        for a in &approvers {
            let Some(office) = self.offices.get(a) else {
                return Err(ctx.invalid("milestone.approvers", format!("no office {a}")));
            };
            if !seen.insert(a) {
                return Err(
                    ctx.invalid("milestone.approvers", format!("office {a} is listed twice"))
                );
            }
            if a == owner {
                return Err(ctx.invalid(
                    "milestone.approvers",
                    format!("the owner office {a} cannot approve its own milestone: its signature is the report itself"),
                ));
            }
            inspectorate |= office.spec.role == Role::Inspectorate;
        }
        if !inspectorate {
            return Err(ctx.invalid(
                "milestone.approvers",
                "must include an office with role inspectorate",
            ));
        }
        Ok(approvers)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn approve(
        &mut self,
        ctx: &Ctx,
        milestone: &Id,
        report: u64,
        decision: Decision,
        note: Option<Text>,
    ) -> Verdict {
        let (id, commitment, _) = self.open_milestone(ctx, milestone)?;
        let m = self
            .milestones
            .get(&id)
            .ok_or_else(|| ctx.inconsistent(format!("milestone {id}")))?;
        match m.pending_report {
            Some(pending) if pending == report => {}
            Some(pending) => {
                return Err(ctx.invalid(
                    "report",
                    format!("entry {report} is not the report awaiting approval for milestone {id}; entry {pending} is"),
                ));
            }
            None => {
                return Err(ctx.invalid(
                    "report",
                    format!("no report of milestone {id} awaits approval"),
                ));
            }
        }
        let r = m
            .reports
            .iter()
            .find(|r| r.recorded.entry == report)
            .ok_or_else(|| ctx.inconsistent(format!("report {report}")))?;
        // Separation of duties.
        let reporters: BTreeSet<&str> = r.signers.iter().map(|s| s.person.as_str()).collect();
        let approved_persons: BTreeSet<&str> = r
            .approvals
            .iter()
            .map(|a| a.signer.person.as_str())
            .collect();
        let approved_offices: BTreeSet<&str> =
            r.approvals.iter().map(|a| a.office.as_str()).collect();
        for s in &ctx.standings {
            if reporters.contains(s.person.as_str()) {
                return Err(Refusal {
                    kind: RefusalKind::Unauthorized,
                    message: format!(
                        "milestone.approve: {} signed report {report} and cannot approve it (separation of duties)",
                        s.name.as_deref().unwrap_or(&s.person)
                    ),
                    details: json!({ "needed": "an approver who did not sign the report", "person": s.person }),
                });
            }
            if approved_persons.contains(s.person.as_str()) {
                return Err(Refusal {
                    kind: RefusalKind::Unauthorized,
                    message: format!(
                        "milestone.approve: {} already approved report {report} for one office and cannot count for a second (separation of duties)",
                        s.name.as_deref().unwrap_or(&s.person)
                    ),
                    details: json!({ "needed": "a different person for each approver office", "person": s.person }),
                });
            }
        }
        let outstanding: Vec<&String> = m
            .approvers
            .iter()
            .filter(|a| !approved_offices.contains(a.as_str()))
            .collect();
        let found = outstanding.iter().find_map(|office| {
            ctx.standings
                .iter()
                .find(|s| s.holds(office))
                .map(|s| ((*office).clone(), s))
        });
        let Some((office, standing)) = found else {
            let needed = outstanding
                .iter()
                .map(|o| self.describe_office(o))
                .collect::<Vec<_>>()
                .join(" or ");
            return Err(self.unauthorized(
                ctx,
                format!("the holder of an approver office that has not yet approved: {needed}"),
            ));
        };
        let mandate = standing
            .offices
            .iter()
            .find(|(o, _)| *o == office)
            .map(|(_, m)| m.clone());
        let approval = Approval {
            recorded: ctx.at.clone(),
            office: office.clone(),
            decision,
            note,
            signer: Signer {
                keyid: standing.keyid.clone(),
                person: standing.person.clone(),
                name: standing.name.clone(),
                office: Some(office),
                mandate,
            },
        };
        let m = self
            .milestones
            .get_mut(&id)
            .ok_or_else(|| ctx.inconsistent(format!("milestone {id}")))?;
        let all = m.approvers.clone();
        let r = m
            .reports
            .iter_mut()
            .find(|r| r.recorded.entry == report)
            .ok_or_else(|| ctx.inconsistent(format!("report {report}")))?;
        r.approvals.push(approval);
        match decision {
            Decision::Reject => {
                r.outcome = ReportOutcome::Rejected;
                m.pending_report = None;
                m.status = MilestoneStatus::Scheduled;
            }
            Decision::Approve => {
                let done: BTreeSet<&str> = r.approvals.iter().map(|a| a.office.as_str()).collect();
                if all.iter().all(|a| done.contains(a.as_str())) {
                    r.outcome = ReportOutcome::Accepted;
                    let status = r.status;
                    m.pending_report = None;
                    m.status = status.into();
                    m.assessed = Some(ctx.at.clone());
                }
            }
        }
        ctx.touch("milestone", id);
        self.touch_commitment(&commitment, ctx);
        Ok(())
    }
}
