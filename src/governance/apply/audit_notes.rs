//! Inspectorate notes and the answers to them.

use super::authority::Need;
use super::{Ctx, Verdict};
use crate::governance::model::payload;
use crate::governance::model::*;
use crate::governance::state::*;
use crate::ledger::rules::Refusal;

impl State {
    pub(super) fn audit_note(&mut self, ctx: &Ctx, p: payload::AuditNote) -> Verdict {
        let payload::AuditNote {
            subject,
            finding,
            severity,
            recommendation,
        } = p;
        self.require_all(ctx, &[Need::Role(Role::Inspectorate)])?;
        let programme = self.subject_programme(ctx, &subject)?;
        let commitment = match subject.kind {
            SubjectKind::Commitment => Some(subject.id.to_string()),
            SubjectKind::Milestone => self
                .milestones
                .get(subject.id.as_str())
                .map(|m| m.commitment.clone()),
            _ => None,
        };
        let key = ctx.index.to_string();
        self.audit_notes.insert(
            key.clone(),
            AuditNote {
                recorded: ctx.at.clone(),
                subject,
                programme: programme.clone(),
                finding,
                severity,
                recommendation,
                signers: ctx.signed_by(),
                responses: Vec::new(),
            },
        );
        ctx.touch("audit_note", key);
        if let Some(p) = programme {
            self.histories
                .audit_note(&p, commitment.as_deref(), ctx.index);
            self.touch_programme(&p, ctx);
        }
        Ok(())
    }

    pub(super) fn audit_response(&mut self, ctx: &Ctx, p: payload::AuditResponse) -> Verdict {
        let payload::AuditResponse { note, response } = p;
        let key = note.to_string();
        let Some(audit) = self.audit_notes.get(&key) else {
            return Err(ctx.invalid("note", format!("entry {note} is not an audit note")));
        };
        let needs = match &audit.programme {
            Some(p) => {
                let owner = self
                    .programmes
                    .get(p)
                    .map(|p| p.spec.owner.to_string())
                    .unwrap_or_default();
                vec![Need::Office(owner)]
            }
            None => vec![Need::Role(Role::HeadOfRegion), Need::Role(Role::Secretary)],
        };
        self.require_any(ctx, &needs)?;
        let programme = audit.programme.clone();
        let audit = self
            .audit_notes
            .get_mut(&key)
            .ok_or_else(|| ctx.inconsistent(format!("audit note {key}")))?;
        audit.responses.push(AuditResponse {
            recorded: ctx.at.clone(),
            response,
            signers: ctx.signed_by(),
        });
        ctx.touch("audit_note", key);
        if let Some(p) = programme {
            self.touch_programme(&p, ctx);
        }
        Ok(())
    }

    pub(super) fn subject_programme(
        &self,
        ctx: &Ctx,
        subject: &Subject,
    ) -> Result<Option<String>, Refusal> {
        let id = subject.id.as_str();
        let missing = |what: &str| ctx.invalid("subject.id", format!("no {what} {id}"));
        Ok(match subject.kind {
            SubjectKind::Programme => {
                self.programmes
                    .get(id)
                    .ok_or_else(|| missing("programme"))?;
                Some(id.to_owned())
            }
            SubjectKind::Commitment => Some(
                self.commitments
                    .get(id)
                    .ok_or_else(|| missing("commitment"))?
                    .programme
                    .clone(),
            ),
            SubjectKind::Milestone => {
                let m = self
                    .milestones
                    .get(id)
                    .ok_or_else(|| missing("milestone"))?;
                self.commitments
                    .get(&m.commitment)
                    .map(|c| c.programme.clone())
            }
            SubjectKind::Entry => {
                let index: u64 = id.parse().map_err(|_| {
                    ctx.invalid(
                        "subject.id",
                        "an entry subject's id is its index in decimal",
                    )
                })?;
                if index >= ctx.index {
                    return Err(
                        ctx.invalid("subject.id", format!("entry {index} is not in the log yet"))
                    );
                }
                None
            }
        })
    }
}
