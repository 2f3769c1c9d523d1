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

use std::cell::RefCell;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::json;

pub use self::authority::{Missing, Need, Standing};
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

/// What a rule says of an entry: nothing to object to, or the refusal.
type Verdict = Result<(), Refusal>;

/// How the rules judge an entry: see [`State::assess`].
#[derive(Clone, Debug, PartialEq)]
pub enum Assessment {
    /// Appending it would be accepted.
    Acceptable,
    /// Its signatures lack authority.
    Lacking {
        /// The refusal an append would meet now.
        refusal: Refusal,
        /// Each need no signature meets yet.
        missing: Vec<Missing>,
        /// A refusal that would follow even with those signatures: the
        /// statement itself must change.
        then: Option<Refusal>,
    },
}

/// The facts of one entry the rules look at, and what it changed so far.
struct Ctx {
    index: u64,
    at: At,
    time: DateTime<Utc>,
    tz: FixedOffset,
    statement_type: String,
    signers: Vec<String>,
    /// What each signing key proves at the entry's time.
    standings: Vec<Standing>,
    touched: RefCell<Touched>,
    /// When the entry is only assessed (a draft): the needs no signature
    /// meets, collected instead of refused.
    missing: Option<RefCell<Vec<Missing>>>,
}

impl Ctx {
    /// Records that the entry changed an object of the projection.
    fn touch(&self, kind: &'static str, id: String) {
        self.touched.borrow_mut().push((kind, id));
    }

    /// The signers as recorded on the objects the entry makes.
    fn signed_by(&self) -> Vec<Signer> {
        self.standings.iter().flat_map(Standing::signers).collect()
    }

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
        let touched = self.judge(entry, envelope, None)?;
        for (kind, id) in &touched {
            self.digests.changed(kind, id);
        }
        Ok(touched)
    }

    /// How the rules judge an entry, with what it lacks when only
    /// signatures are wanting: the same rules as [`apply`](Self::apply),
    /// on a copy of the state. A refusal no signature can mend is the error.
    pub fn assess(
        &self,
        entry: &Entry,
        envelope: &VerifiedEnvelope,
    ) -> Result<Assessment, Refusal> {
        let refusal = match self.clone().judge(entry, envelope, None) {
            Ok(_) => return Ok(Assessment::Acceptable),
            Err(refusal) if refusal.kind == RefusalKind::Invalid => return Err(refusal),
            Err(refusal) => refusal,
        };
        // Again, noting each unmet need instead of stopping at the first.
        let noted = RefCell::default();
        let then = self.clone().judge(entry, envelope, Some(&noted)).err();
        let mut missing = noted.into_inner();
        let then = match then {
            Some(r) if r.kind == RefusalKind::Unauthorized => {
                let needed = r.details.get("needed").and_then(|n| n.as_str());
                missing.push(Missing {
                    needed: needed.map_or_else(|| r.message.clone(), str::to_owned),
                    any_of: Vec::new(),
                });
                None
            }
            other => other,
        };
        Ok(Assessment::Lacking {
            refusal,
            missing,
            then,
        })
    }

    fn judge(
        &mut self,
        entry: &Entry,
        envelope: &VerifiedEnvelope,
        missing: Option<&RefCell<Vec<Missing>>>,
    ) -> Result<Touched, Refusal> {
        let time = entry.recorded_at.instant();
        let signers: Vec<String> = envelope.signers().iter().map(keyid_of).collect();
        let ctx = Ctx {
            index: entry.index,
            at: At {
                entry: entry.index,
                recorded_at: entry.recorded_at.to_string(),
            },
            time,
            tz: self.time_zone(),
            statement_type: envelope.statement_type().to_owned(),
            standings: self.standings(&signers, time),
            signers,
            touched: RefCell::default(),
            missing: missing.map(|_| RefCell::default()),
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
        let verdict = self.dispatch(&ctx, statement);
        if let (Some(out), Some(found)) = (missing, ctx.missing) {
            out.borrow_mut().extend(found.into_inner());
        }
        verdict?;
        Ok(ctx.touched.into_inner())
    }

    /// One line a statement type: the rule that judges it.
    fn dispatch(&mut self, ctx: &Ctx, statement: Statement) -> Verdict {
        use Statement as S;
        match statement {
            S::Genesis(p) => self.genesis(ctx, p),
            S::RegistrarsUpdate(p) => self.registrars_update(ctx, p),
            S::OfficeEstablish(p) => self.office_establish(ctx, p),
            S::MandateBegin(p) => self.mandate_begin(ctx, p),
            S::MandateEnd(p) => self.mandate_end(ctx, p),
            S::KeyAdd(p) => self.key_add(ctx, p),
            S::KeyRevoke(p) => self.key_revoke(ctx, p),
            S::DocumentRegister(p) => self.document_register(ctx, p),
            S::ProgrammeRegister(p) => self.programme(ctx, p.programme, false),
            S::ProgrammeUpdate(p) => self.programme(ctx, p.programme, true),
            S::CommitmentMake(p) => self.commitment_make(ctx, p),
            S::CommitmentAmend(p) => self.commitment_amend(ctx, p),
            S::CommitmentReaffirm(p) => self.commitment_reaffirm(ctx, p),
            S::CommitmentDiscontinue(p) => self.commitment_discontinue(ctx, p),
            S::CommitmentComplete(p) => self.commitment_complete(ctx, p),
            S::MilestoneSchedule(p) => self.milestone_schedule(ctx, p),
            S::MilestoneReschedule(p) => self.milestone_reschedule(ctx, p),
            S::MilestoneReport(p) => self.milestone_report(ctx, p),
            S::MilestoneApprove(p) => self.milestone_approve(ctx, p),
            S::HandoverRecord(p) => self.handover_record(ctx, p),
            S::AuditNote(p) => self.audit_note(ctx, p),
            S::AuditResponse(p) => self.audit_response(ctx, p),
        }
    }
}

/// The first 16 hex digits of a key, for messages.
pub fn short(keyid: &str) -> String {
    let end = keyid.len().min(16);
    format!("{}…", &keyid[..end])
}
