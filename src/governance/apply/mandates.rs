//! Mandates and keys: who holds an office, with which keys, until when.

use std::collections::BTreeSet;

use super::authority::Need;
use super::{Ctx, Verdict, short};
use crate::governance::model::payload;
use crate::governance::model::*;
use crate::governance::state::*;

impl State {
    pub(super) fn mandate_begin(&mut self, ctx: &Ctx, p: payload::MandateBegin) -> Verdict {
        let payload::MandateBegin { mandate, keys } = p;
        self.begin_mandate(ctx, mandate, keys)?;
        Ok(())
    }

    pub(super) fn mandate_end(&mut self, ctx: &Ctx, p: payload::MandateEnd) -> Verdict {
        let payload::MandateEnd {
            mandate,
            at,
            reason,
        } = p;
        self.require_all(ctx, &[Need::Registrars])?;
        let id = mandate.to_string();
        let Some(m) = self.mandates.get_mut(&id) else {
            return Err(ctx.invalid("mandate", format!("no mandate {id}")));
        };
        if m.ended.is_some() {
            return Err(ctx.invalid("mandate", format!("mandate {id} has already ended")));
        }
        m.ended = Some(MandateEnd {
            recorded: ctx.at.clone(),
            at,
            reason,
        });
        ctx.touch("mandate", id);
        Ok(())
    }

    pub(super) fn key_add(&mut self, ctx: &Ctx, p: payload::KeyAdd) -> Verdict {
        let payload::KeyAdd { mandate, key } = p;
        self.require_all(ctx, &[Need::Registrars, Need::Key(key.to_string())])?;
        let id = mandate.to_string();
        let Some(m) = self.mandates.get(&id) else {
            return Err(ctx.invalid("mandate", format!("no mandate {id}")));
        };
        if m.ended.is_some() {
            return Err(ctx.invalid("mandate", format!("mandate {id} has ended")));
        }
        if m.keys.iter().any(|k| k == key.as_str()) {
            return Err(ctx.invalid("key", format!("the key is already bound to mandate {id}")));
        }
        if self
            .keys
            .get(key.as_str())
            .is_some_and(|k| k.revoked.is_some())
        {
            return Err(ctx.invalid("key", "the key was revoked"));
        }
        if let Some(person) = m.spec.holder.identity() {
            self.check_key_person(ctx, "key", key.as_str(), &person)?;
        }
        self.bind_key(ctx, &id, key.as_str());
        Ok(())
    }

    pub(super) fn key_revoke(&mut self, ctx: &Ctx, p: payload::KeyRevoke) -> Verdict {
        let payload::KeyRevoke {
            key,
            reason,
            compromised_since,
        } = p;
        self.require_any(ctx, &[Need::Registrars, Need::Key(key.to_string())])?;
        let Some(record) = self.keys.get(key.as_str()) else {
            return Err(ctx.invalid("key", "this key is not known to the ledger"));
        };
        if record.revoked.is_some() {
            return Err(ctx.invalid("key", "the key is already revoked"));
        }
        // Revoking a registrar key must leave enough registrars to
        // act: otherwise nobody could ever register anything again.
        if let Some(charter) = &self.charter
            && charter
                .registrars
                .keys
                .iter()
                .any(|k| k.as_str() == key.as_str())
        {
            let remaining = charter
                .registrars
                .keys
                .iter()
                .filter(|k| k.as_str() != key.as_str())
                .filter(|k| {
                    self.keys
                        .get(k.as_str())
                        .is_none_or(|r| r.revoked.is_none())
                })
                .count();
            let threshold = charter.registrars.threshold as usize;
            if remaining < threshold {
                return Err(ctx.invalid(
                    "key",
                    format!(
                        "revoking this registrar key would leave {remaining} registrar key(s) for a threshold of {threshold}: first replace it with registrars.update"
                    ),
                ));
            }
        }
        let Some(record) = self.keys.get_mut(key.as_str()) else {
            return Err(ctx.invalid("key", "this key is not known to the ledger"));
        };
        record.revoked = Some(Revocation {
            recorded: ctx.at.clone(),
            reason,
            compromised_since,
        });
        ctx.touch("key", key.to_string());
        Ok(())
    }

    pub(super) fn begin_mandate(
        &mut self,
        ctx: &Ctx,
        mandate: MandateSpec,
        keys: Vec<KeyId>,
    ) -> Verdict {
        self.require_all(ctx, &[Need::Registrars])?;
        let mut seen = BTreeSet::new();
        if keys.is_empty() {
            return Err(ctx.invalid("keys", "a mandate needs at least one key"));
        }
        for key in &keys {
            if !seen.insert(key.as_str()) {
                return Err(ctx.invalid(
                    "keys",
                    format!("key {} is listed twice", short(key.as_str())),
                ));
            }
        }
        // Proof of possession: every bound key signs its own binding.
        let missing: Vec<Need> = keys
            .iter()
            .map(|k| Need::Key(k.to_string()))
            .filter(|n| !self.satisfied(n, &ctx.standings))
            .collect();
        if let Some(need) = missing.first() {
            return Err(self.unauthorized(
                ctx,
                format!(
                    "{} (each key listed in keys must sign its mandate)",
                    self.describe_need(need)
                ),
            ));
        }
        let id = mandate.id.to_string();
        if self.mandates.contains_key(&id) {
            return Err(ctx.invalid("mandate.id", format!("mandate {id} already exists")));
        }
        let office_id = mandate.office.to_string();
        let Some(office) = self.offices.get(&office_id) else {
            return Err(ctx.invalid("mandate.office", format!("no office {office_id}")));
        };
        if let Some(until) = &mandate.until
            && until.instant(ctx.tz) <= mandate.from.instant(ctx.tz)
        {
            return Err(ctx.invalid("mandate.until", "must be after mandate.from"));
        }
        for key in &keys {
            if self
                .keys
                .get(key.as_str())
                .is_some_and(|k| k.revoked.is_some())
            {
                return Err(ctx.invalid("keys", format!("key {} was revoked", short(key.as_str()))));
            }
        }
        let open: Vec<&Mandate> = office
            .mandates
            .iter()
            .filter_map(|m| self.mandates.get(m))
            .filter(|m| self.ended_at(m, ctx.time).is_none())
            .collect();
        if let Some(other) = open.first() {
            return Err(ctx.invalid(
                "mandate.office",
                format!(
                    "office {office_id} already has mandate {} ({}) that has not ended; record its mandate.end first",
                    other.spec.id, other.spec.holder.name
                ),
            ));
        }
        let role = office.spec.role;
        if role.is_appointed() && mandate.holder.nip.is_none() {
            return Err(ctx.invalid(
                "mandate.holder.nip",
                format!(
                    "required for {}, an appointed official: the holder's 18-digit NIP",
                    role.describe()
                ),
            ));
        }
        let Some(person) = mandate.holder.identity() else {
            return Err(ctx.invalid(
                "mandate.holder.person",
                "a holder without a NIP needs a person id, the same in every mandate of that person",
            ));
        };
        for key in &keys {
            self.check_key_person(ctx, "keys", key.as_str(), &person)?;
        }
        let head = role == Role::HeadOfRegion;
        // Found above; looked up before anything changes.
        self.offices
            .get_mut(&office_id)
            .ok_or_else(|| ctx.inconsistent(format!("office {office_id}")))?
            .mandates
            .push(id.clone());
        self.mandates.insert(
            id.clone(),
            Mandate {
                spec: mandate,
                keys: Vec::new(),
                begun: ctx.at.clone(),
                ended: None,
            },
        );
        ctx.touch("office", office_id);
        for key in &keys {
            self.bind_key(ctx, &id, key.as_str());
        }
        if head {
            // The continuity rule: the new head inherits every open commitment.
            let open: Vec<String> = self
                .commitments
                .values()
                .filter(|c| c.status.is_open())
                .map(|c| c.id.clone())
                .collect();
            for cid in open {
                let Some(c) = self.commitments.get_mut(&cid) else {
                    continue;
                };
                c.status = CommitmentStatus::AwaitingReaffirmation;
                c.events.push(CommitmentEvent {
                    recorded: ctx.at.clone(),
                    action: CommitmentAction::Inherited,
                    head_mandate: Some(id.clone()),
                    text: None,
                    basis: None,
                    signers: Vec::new(),
                });
                self.touch_commitment(&cid, ctx);
            }
        }
        Ok(())
    }

    /// One key is one person: a key already bound to another person's
    /// mandate is not bound to `person`'s.
    pub(super) fn check_key_person(
        &self,
        ctx: &Ctx,
        field: &str,
        key: &str,
        person: &str,
    ) -> Verdict {
        let other = self
            .keys
            .get(key)
            .into_iter()
            .flat_map(|k| &k.mandates)
            .filter_map(|m| self.mandates.get(m))
            .find_map(|m| m.spec.holder.identity().filter(|p| p != person));
        match other {
            Some(other) => Err(ctx.invalid(
                field,
                format!(
                    "key {} belongs to {other}, not {person}: one key is one person's; generate a new key for this holder",
                    short(key)
                ),
            )),
            None => Ok(()),
        }
    }

    pub(super) fn bind_key(&mut self, ctx: &Ctx, mandate: &str, key: &str) {
        let record = self.keys.entry(key.to_owned()).or_insert_with(|| Key {
            keyid: key.to_owned(),
            mandates: Vec::new(),
            registrar: false,
            revoked: None,
        });
        record.mandates.push(mandate.to_owned());
        if let Some(m) = self.mandates.get_mut(mandate) {
            m.keys.push(key.to_owned());
        }
        ctx.touch("key", key.to_owned());
        ctx.touch("mandate", mandate.to_owned());
    }
}
