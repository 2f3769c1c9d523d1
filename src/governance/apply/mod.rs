//! The rules: how each statement changes the state, and when it is refused.
//!
//! [`State::apply`] judges an entry against the state before it, at the
//! entry's `recorded_at`, and either changes the state or refuses with a
//! reason. It is the single implementation the server (on append) and the
//! auditor (on replay) both run.

mod audit_notes;
mod authority;
mod charter;
mod commitments;
mod handover;
mod mandates;
mod milestones;
mod programmes;
#[cfg(test)]
mod tests;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::json;

pub use self::authority::Standing;
use super::model::*;
use super::state::*;
use crate::ledger::entry::Entry;
use crate::ledger::rules::{Refusal, RefusalKind};
use crate::ledger::statement::{VerifiedEnvelope, keyid_of};

/// How long after their mandate ended an outgoing holder may still sign
/// the handover of their office.
pub const HANDOVER_GRACE_DAYS: i64 = 90;

/// Objects an entry changed: (projection kind, id).
pub type Touched = Vec<(&'static str, String)>;

/// The facts of one entry the rules look at.
struct Ctx {
    index: u64,
    at: At,
    time: DateTime<Utc>,
    tz: FixedOffset,
    statement_type: String,
    signers: Vec<String>,
}

impl Ctx {
    /// A state the checks before it make impossible (a bug): the entry is
    /// refused, never a panic in the appender.
    fn inconsistent(&self, what: impl std::fmt::Display) -> Refusal {
        tracing::error!(index = self.index, %what, "the governance state is inconsistent");
        Refusal {
            kind: RefusalKind::Invalid,
            message: format!(
                "{} refused: the ledger's state lacks {what}, which its checks had found: an internal inconsistency, nothing was changed; please report it",
                self.statement_type
            ),
            details: json!({ "field": "(state)", "problem": "internal inconsistency" }),
        }
    }

    fn invalid(&self, field: &str, problem: impl Into<String>) -> Refusal {
        let problem = problem.into();
        Refusal {
            kind: RefusalKind::Invalid,
            message: format!("{} refused: {field}: {problem}", self.statement_type),
            details: json!({ "field": field, "problem": problem }),
        }
    }
}

impl State {
    /// Applies one entry. On a refusal the state is unchanged: every rule
    /// of a statement is checked before anything is changed. Keep it so
    /// when adding a rule (debug builds check it on every refusal).
    pub fn apply(
        &mut self,
        entry: &Entry,
        envelope: &VerifiedEnvelope,
    ) -> Result<Touched, Refusal> {
        let time = entry.recorded_at.instant();
        let ctx = Ctx {
            index: entry.index,
            at: At {
                entry: entry.index,
                recorded_at: entry.recorded_at.to_string(),
            },
            time,
            tz: self.time_zone(),
            statement_type: envelope.statement_type().to_owned(),
            signers: envelope.signers().iter().map(keyid_of).collect(),
        };
        let statement = Statement::parse(envelope.statement_type(), envelope.statement())
            .map_err(|e| ctx.invalid(&e.field, e.problem))?;
        let is_genesis = matches!(statement, Statement::Genesis { .. });
        if entry.index == 0 && !is_genesis {
            return Err(ctx.invalid(
                "type",
                "entry 0 of a ledger must be its ledger.genesis statement",
            ));
        }
        if entry.index != 0 && is_genesis {
            return Err(ctx.invalid("type", "the ledger already has its genesis (entry 0)"));
        }
        let standings = self.standings(&ctx.signers, time);
        let mut touched = Touched::new();
        match statement {
            Statement::Genesis(p) => self.genesis(&ctx, &standings, &mut touched, p)?,
            Statement::RegistrarsUpdate(p) => {
                self.registrars_update(&ctx, &standings, &mut touched, p)?
            }
            Statement::OfficeEstablish(p) => {
                self.office_establish(&ctx, &standings, &mut touched, p)?
            }
            Statement::MandateBegin(p) => self.mandate_begin(&ctx, &standings, &mut touched, p)?,
            Statement::MandateEnd(p) => self.mandate_end(&ctx, &standings, &mut touched, p)?,
            Statement::KeyAdd(p) => self.key_add(&ctx, &standings, &mut touched, p)?,
            Statement::KeyRevoke(p) => self.key_revoke(&ctx, &standings, &mut touched, p)?,
            Statement::DocumentRegister(p) => {
                self.document_register(&ctx, &standings, &mut touched, p)?
            }
            Statement::ProgrammeRegister(p) => {
                self.programme(&ctx, &standings, &mut touched, p.programme, false)?
            }
            Statement::ProgrammeUpdate(p) => {
                self.programme(&ctx, &standings, &mut touched, p.programme, true)?
            }
            Statement::CommitmentMake(p) => {
                self.commitment_make(&ctx, &standings, &mut touched, p)?
            }
            Statement::CommitmentAmend(p) => {
                self.commitment_amend(&ctx, &standings, &mut touched, p)?
            }
            Statement::CommitmentReaffirm(p) => {
                self.commitment_reaffirm(&ctx, &standings, &mut touched, p)?
            }
            Statement::CommitmentDiscontinue(p) => {
                self.commitment_discontinue(&ctx, &standings, &mut touched, p)?
            }
            Statement::CommitmentComplete(p) => {
                self.commitment_complete(&ctx, &standings, &mut touched, p)?
            }
            Statement::MilestoneSchedule(p) => {
                self.milestone_schedule(&ctx, &standings, &mut touched, p)?
            }
            Statement::MilestoneReschedule(p) => {
                self.milestone_reschedule(&ctx, &standings, &mut touched, p)?
            }
            Statement::MilestoneReport(p) => {
                self.milestone_report(&ctx, &standings, &mut touched, p)?
            }
            Statement::MilestoneApprove(p) => {
                self.milestone_approve(&ctx, &standings, &mut touched, p)?
            }
            Statement::HandoverRecord(p) => {
                self.handover_record(&ctx, &standings, &mut touched, p)?
            }
            Statement::AuditNote(p) => self.audit_note(&ctx, &standings, &mut touched, p)?,
            Statement::AuditResponse(p) => {
                self.audit_response(&ctx, &standings, &mut touched, p)?
            }
        }
        Ok(touched)
    }
}

/// The first 16 hex digits of a key, for messages.
pub fn short(keyid: &str) -> String {
    let end = keyid.len().min(16);
    format!("{}…", &keyid[..end])
}
