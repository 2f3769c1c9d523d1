//! Handovers between holders of an office (memori serah terima jabatan).

use std::collections::BTreeSet;

use chrono::Duration;
use serde_json::json;

use super::authority::Need;
use super::{Ctx, HANDOVER_GRACE_DAYS, Verdict};
use crate::governance::model::payload;
use crate::governance::model::*;
use crate::governance::state::*;
use crate::ledger::rules::{Refusal, RefusalKind};

impl State {
    pub(super) fn handover_record(&mut self, ctx: &Ctx, p: payload::HandoverRecord) -> Verdict {
        let payload::HandoverRecord {
            office,
            outgoing,
            incoming,
            at,
            basis,
            open_commitments,
            notes,
        } = p;
        let handover = Handover {
            recorded: ctx.at.clone(),
            office: office.to_string(),
            outgoing: outgoing.to_string(),
            incoming: incoming.to_string(),
            at,
            basis,
            open_commitments: open_commitments.iter().map(Id::to_string).collect(),
            notes,
            signers: ctx.signed_by(),
        };
        self.handover(ctx, handover)?;
        Ok(())
    }

    pub(super) fn handover(&mut self, ctx: &Ctx, handover: Handover) -> Verdict {
        let Some(office) = self.offices.get(&handover.office) else {
            return Err(ctx.invalid("office", format!("no office {}", handover.office)));
        };
        let role = office.spec.role;
        let mandate_of = |field: &str, id: &str| -> Result<&Mandate, Refusal> {
            match self.mandates.get(id) {
                Some(m) if m.spec.office.as_str() == handover.office => Ok(m),
                Some(_) => Err(ctx.invalid(
                    field,
                    format!(
                        "mandate {id} is not a mandate of office {}",
                        handover.office
                    ),
                )),
                None => Err(ctx.invalid(field, format!("no mandate {id}"))),
            }
        };
        let outgoing = mandate_of("outgoing", &handover.outgoing)?;
        let incoming = mandate_of("incoming", &handover.incoming)?;
        if outgoing.spec.id == incoming.spec.id {
            return Err(ctx.invalid(
                "incoming",
                "the incoming and outgoing mandates are the same",
            ));
        }
        if !self.is_active(incoming, ctx.time) {
            return Err(ctx.invalid(
                "incoming",
                format!("mandate {} is not active", incoming.spec.id),
            ));
        }
        if handover.basis.kind.as_str() != "berita_acara" || handover.basis.sha256.is_none() {
            return Err(ctx.invalid("basis", "a handover rests on its berita acara: kind \"berita_acara\", its number and sha256"));
        }
        // The incoming holder signs.
        let incoming_signed = ctx.standings.iter().any(|s| {
            s.offices
                .iter()
                .any(|(_, m)| m == incoming.spec.id.as_str())
        });
        if !incoming_signed {
            return Err(self.unauthorized(
                ctx,
                format!(
                    "the incoming holder {} (mandate {})",
                    incoming.spec.holder.name, incoming.spec.id
                ),
            ));
        }
        // The outgoing holder signs, within the grace period, or the registrars do.
        let grace = self
            .ended_at(outgoing, ctx.time)
            .is_some_and(|end| ctx.time - end <= Duration::days(HANDOVER_GRACE_DAYS));
        let outgoing_signed = grace
            && ctx
                .standings
                .iter()
                .any(|s| !s.revoked && outgoing.keys.contains(&s.keyid));
        if !outgoing_signed && !self.satisfied(&Need::Registrars, &ctx.standings) {
            return Err(self.unauthorized(
                ctx,
                format!(
                    "the outgoing holder {} (a key of mandate {}, within {HANDOVER_GRACE_DAYS} days of its end) or {}",
                    outgoing.spec.holder.name,
                    outgoing.spec.id,
                    self.describe_need(&Need::Registrars)
                ),
            ));
        }
        // Every open commitment of the office is handed over.
        let expected: BTreeSet<String> = self
            .commitments
            .values()
            .filter(|c| c.status.is_open())
            .filter(|c| {
                role == Role::HeadOfRegion
                    || self
                        .programmes
                        .get(&c.programme)
                        .is_some_and(|p| p.spec.owner.as_str() == handover.office)
            })
            .map(|c| c.id.clone())
            .collect();
        let mut listed = BTreeSet::new();
        for id in &handover.open_commitments {
            if !listed.insert(id.clone()) {
                return Err(ctx.invalid(
                    "open_commitments",
                    format!("commitment {id} is listed twice"),
                ));
            }
        }
        let mismatch = |ids: Vec<&String>, what: &str, detail: &str| Refusal {
            kind: RefusalKind::Invalid,
            message: format!(
                "handover.record refused: open_commitments {what} of office {}: {}",
                handover.office,
                ids.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            details: json!({ "field": "open_commitments", detail: ids }),
        };
        let missing: Vec<&String> = expected.difference(&listed).collect();
        if !missing.is_empty() {
            return Err(mismatch(missing, "leaves out open commitments", "missing"));
        }
        let extra: Vec<&String> = listed.difference(&expected).collect();
        if !extra.is_empty() {
            return Err(mismatch(
                extra,
                "lists commitments that are not open commitments",
                "unexpected",
            ));
        }
        let key = ctx.index.to_string();
        let listed: Vec<String> = handover.open_commitments.clone();
        self.handovers.insert(key.clone(), handover);
        ctx.touch("handover", key);
        for c in listed {
            if let Some(p) = self.commitments.get(&c).map(|c| c.programme.clone()) {
                self.touch_programme(&p, ctx);
            }
        }
        Ok(())
    }
}
