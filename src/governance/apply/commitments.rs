//! Commitments: made, amended, reaffirmed, discontinued and completed, and the continuity rule's interim-head guard.

use std::collections::BTreeSet;

use serde_json::json;

use super::authority::Need;
use super::{Ctx, Verdict};
use crate::governance::model::payload;
use crate::governance::model::*;
use crate::governance::state::*;
use crate::ledger::rules::{Refusal, RefusalKind};

impl State {
    pub(super) fn commitment_make(&mut self, ctx: &Ctx, p: payload::CommitmentMake) -> Verdict {
        let payload::CommitmentMake { commitment } = p;
        let programme_id = commitment.programme.to_string();
        let Some(programme) = self.programmes.get(&programme_id) else {
            return Err(ctx.invalid(
                "commitment.programme",
                format!("no programme {programme_id}"),
            ));
        };
        let owner = programme.spec.owner.to_string();
        self.require_owner_and_head(ctx, owner)?;
        let id = commitment.id.to_string();
        if self.commitments.contains_key(&id) {
            return Err(ctx.invalid("commitment.id", format!("commitment {id} already exists")));
        }
        check_indicators(ctx, "commitment.indicators", &commitment.indicators)?;
        check_budget(ctx, "commitment.budget", &commitment.budget)?;
        let head = self.head_mandate(ctx.time).map(|m| m.spec.id.to_string());
        let signers = ctx.signed_by();
        // Found above; looked up before anything changes.
        let programme = self
            .programmes
            .get_mut(&programme_id)
            .ok_or_else(|| ctx.inconsistent(format!("programme {programme_id}")))?;
        programme.commitments.push(id.clone());
        self.histories.programme_entry(&programme_id, ctx.index);
        self.commitments.insert(
            id.clone(),
            Commitment {
                id: id.clone(),
                programme: programme_id.clone(),
                status: CommitmentStatus::Active,
                versions: vec![CommitmentVersion {
                    version: 1,
                    recorded: ctx.at.clone(),
                    title: commitment.title,
                    description: commitment.description,
                    indicators: commitment.indicators,
                    budget: commitment.budget,
                    due: commitment.due,
                    justification: None,
                }],
                events: vec![CommitmentEvent {
                    recorded: ctx.at.clone(),
                    action: CommitmentAction::Made,
                    head_mandate: head,
                    text: None,
                    basis: None,
                    signers,
                }],
                milestones: Vec::new(),
            },
        );
        ctx.touch("commitment", id);
        ctx.touch("programme", programme_id);
        Ok(())
    }

    pub(super) fn commitment_amend(&mut self, ctx: &Ctx, p: payload::CommitmentAmend) -> Verdict {
        let payload::CommitmentAmend {
            commitment,
            changes,
            justification,
        } = p;
        let (id, owner) = self.open_commitment(ctx, &commitment)?;
        self.require_owner_and_head(ctx, owner)?;
        if changes == CommitmentChanges::default() {
            return Err(ctx.invalid(
                "changes",
                "name at least one of title, description, indicators, budget, due",
            ));
        }
        if let Some(indicators) = &changes.indicators {
            check_indicators(ctx, "changes.indicators", indicators)?;
        }
        if let Some(budget) = &changes.budget {
            check_budget(ctx, "changes.budget", budget)?;
        }
        let head = self.head_mandate(ctx.time).map(|m| m.spec.id.to_string());
        let c = self
            .commitments
            .get_mut(&id)
            .ok_or_else(|| ctx.inconsistent(format!("commitment {id}")))?;
        let current = c.current().clone();
        c.versions.push(CommitmentVersion {
            version: current.version + 1,
            recorded: ctx.at.clone(),
            title: changes.title.unwrap_or(current.title),
            description: changes.description.unwrap_or(current.description),
            indicators: changes.indicators.unwrap_or(current.indicators),
            budget: changes.budget.unwrap_or(current.budget),
            due: changes.due.unwrap_or(current.due),
            justification: Some(justification.clone()),
        });
        c.status = CommitmentStatus::Active;
        c.events.push(CommitmentEvent {
            recorded: ctx.at.clone(),
            action: CommitmentAction::Amended,
            head_mandate: head,
            text: Some(justification),
            basis: None,
            signers: ctx.signed_by(),
        });
        self.touch_commitment(&id, ctx);
        Ok(())
    }

    pub(super) fn commitment_reaffirm(
        &mut self,
        ctx: &Ctx,
        p: payload::CommitmentReaffirm,
    ) -> Verdict {
        let payload::CommitmentReaffirm { commitment, note } = p;
        let (id, _) = self.open_commitment(ctx, &commitment)?;
        self.require_all(ctx, &[Need::Role(Role::HeadOfRegion)])?;
        let decision = (CommitmentStatus::Active, CommitmentAction::Reaffirmed);
        self.decide(ctx, &id, decision, note, None)
    }

    pub(super) fn commitment_discontinue(
        &mut self,
        ctx: &Ctx,
        p: payload::CommitmentDiscontinue,
    ) -> Verdict {
        let payload::CommitmentDiscontinue {
            commitment,
            justification,
            basis,
        } = p;
        let (id, _) = self.open_commitment(ctx, &commitment)?;
        self.require_all(
            ctx,
            &[Need::Role(Role::HeadOfRegion), Need::Role(Role::Secretary)],
        )?;
        let head = self.head_mandate(ctx.time).cloned();
        if let Some(head) = &head {
            let made_by = self
                .commitments
                .get(&id)
                .and_then(|c| c.events.first())
                .and_then(|e| e.head_mandate.clone());
            let predecessors = made_by.as_deref() != Some(head.spec.id.as_str());
            if head.spec.kind.is_interim()
                && predecessors
                && (basis.kind.as_str() != "ministerial_approval" || basis.sha256.is_none())
            {
                return Err(Refusal {
                    kind: RefusalKind::Unauthorized,
                    message: format!(
                        "commitment.discontinue: the head of region signs through mandate {} of kind {:?}, an interim head; \
                         an interim head may not discontinue a predecessor's commitment without the Minister's written approval \
                         (PP 49/2008 art. 132A): set basis.kind to \"ministerial_approval\", cite the approval's number and give basis.sha256, the SHA-256 of the signed approval",
                        head.spec.id, head.spec.kind
                    ),
                    details: json!({
                        "needed": "basis.kind = ministerial_approval with basis.sha256",
                        "field": "basis.kind",
                        "mandate": head.spec.id,
                    }),
                });
            }
        }
        let decision = (
            CommitmentStatus::Discontinued,
            CommitmentAction::Discontinued,
        );
        self.decide(ctx, &id, decision, Some(justification), Some(basis))
    }

    pub(super) fn commitment_complete(
        &mut self,
        ctx: &Ctx,
        p: payload::CommitmentComplete,
    ) -> Verdict {
        let payload::CommitmentComplete { commitment, note } = p;
        let (id, owner) = self.open_commitment(ctx, &commitment)?;
        self.require_owner_and_head(ctx, owner)?;
        let c = self
            .commitments
            .get(&id)
            .ok_or_else(|| ctx.inconsistent(format!("commitment {id}")))?;
        if c.status == CommitmentStatus::AwaitingReaffirmation {
            return Err(ctx.invalid("commitment", format!("commitment {id} awaits reaffirmation by the head of region; reaffirm or amend it first")));
        }
        let unassessed: Vec<String> = c
            .milestones
            .iter()
            .filter(|m| {
                self.milestones
                    .get(*m)
                    .is_some_and(|m| m.status == MilestoneStatus::Scheduled)
            })
            .cloned()
            .collect();
        if !unassessed.is_empty() {
            return Err(Refusal {
                kind: RefusalKind::Invalid,
                message: format!(
                    "commitment.complete refused: commitment: milestones not yet assessed: {}",
                    unassessed.join(", ")
                ),
                details: json!({ "field": "commitment", "unassessed": unassessed }),
            });
        }
        let decision = (CommitmentStatus::Completed, CommitmentAction::Completed);
        self.decide(ctx, &id, decision, note, None)
    }

    /// Records the head's decision on commitment `id`: its new status and
    /// the event, under the head of region's mandate now.
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &mut self,
        ctx: &Ctx,
        id: &str,
        (status, action): (CommitmentStatus, CommitmentAction),
        text: Option<Text>,
        basis: Option<Basis>,
    ) -> Verdict {
        let head = self.head_mandate(ctx.time).map(|m| m.spec.id.to_string());
        let c = self
            .commitments
            .get_mut(id)
            .ok_or_else(|| ctx.inconsistent(format!("commitment {id}")))?;
        c.status = status;
        c.events.push(CommitmentEvent {
            recorded: ctx.at.clone(),
            action,
            head_mandate: head,
            text,
            basis,
            signers: ctx.signed_by(),
        });
        self.touch_commitment(id, ctx);
        Ok(())
    }

    /// An open commitment's id and its programme's owner office.
    pub(super) fn open_commitment(&self, ctx: &Ctx, id: &Id) -> Result<(String, String), Refusal> {
        let field = if ctx.statement_type == "milestone.schedule" {
            "milestone.commitment"
        } else {
            "commitment"
        };
        let Some(c) = self.commitments.get(id.as_str()) else {
            return Err(ctx.invalid(field, format!("no commitment {id}")));
        };
        if !c.status.is_open() {
            return Err(ctx.invalid(
                field,
                format!(
                    "commitment {id} is {}",
                    match c.status {
                        CommitmentStatus::Completed => "completed",
                        _ => "discontinued",
                    }
                ),
            ));
        }
        let owner = self
            .programmes
            .get(&c.programme)
            .map(|p| p.spec.owner.to_string())
            .unwrap_or_default();
        Ok((c.id.clone(), owner))
    }

    pub(super) fn touch_commitment(&mut self, commitment: &str, ctx: &Ctx) {
        ctx.touch("commitment", commitment.to_owned());
        if let Some(p) = self
            .commitments
            .get(commitment)
            .map(|c| c.programme.clone())
        {
            self.touch_programme(&p, ctx);
        }
    }
}

pub(super) fn check_indicators(ctx: &Ctx, field: &str, indicators: &[Indicator]) -> Verdict {
    if indicators.is_empty() {
        return Err(ctx.invalid(field, "a commitment needs at least one indicator"));
    }
    let mut seen = BTreeSet::new();
    for i in indicators {
        if !seen.insert(i.id.as_str()) {
            return Err(ctx.invalid(field, format!("indicator {} appears twice", i.id)));
        }
    }
    Ok(())
}

pub(super) fn check_budget(ctx: &Ctx, field: &str, budget: &Budget) -> Verdict {
    if budget.currency.as_str() != "IDR" {
        return Err(ctx.invalid(&format!("{field}.currency"), "must be \"IDR\""));
    }
    Ok(())
}
