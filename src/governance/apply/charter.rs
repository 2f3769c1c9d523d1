//! The charter: the genesis, the registrars, offices and documents.

use std::collections::BTreeSet;

use serde_json::json;

use super::authority::Need;
use super::{Ctx, Verdict, short};
use crate::governance::model::payload;
use crate::governance::model::*;
use crate::governance::state::*;
use crate::ledger::rules::{Refusal, RefusalKind};

impl State {
    pub(super) fn genesis(&mut self, ctx: &Ctx, p: payload::Genesis) -> Verdict {
        let payload::Genesis {
            government,
            registrars,
            pillars,
        } = p;
        if time_zone_offset(government.timezone.as_str()).is_none() {
            return Err(ctx.invalid(
                "government.timezone",
                "must be Asia/Jakarta, Asia/Pontianak, Asia/Makassar or Asia/Jayapura",
            ));
        }
        check_registrars(ctx, &registrars)?;
        let mut ids = BTreeSet::new();
        if pillars.is_empty() {
            return Err(ctx.invalid("pillars", "at least one pillar is needed"));
        }
        for p in &pillars {
            if !ids.insert(p.id.as_str()) {
                return Err(ctx.invalid("pillars", format!("pillar {} appears twice", p.id)));
            }
        }
        for key in &registrars.keys {
            if !ctx.signers.iter().any(|s| s == key.as_str()) {
                return Err(Refusal {
                    kind: RefusalKind::Unauthorized,
                    message: format!(
                        "ledger.genesis must be signed by every registrar key; key {} did not sign",
                        short(key.as_str())
                    ),
                    details: json!({ "needed": format!("registrar key {key}") }),
                });
            }
        }
        for key in &registrars.keys {
            self.keys.insert(
                key.to_string(),
                Key {
                    keyid: key.to_string(),
                    mandates: Vec::new(),
                    registrar: true,
                    revoked: None,
                },
            );
            ctx.touch("key", key.to_string());
        }
        self.charter = Some(Charter {
            government,
            registrars,
            pillars,
            entries: vec![ctx.index],
        });
        ctx.touch("charter", String::new());
        Ok(())
    }

    pub(super) fn registrars_update(&mut self, ctx: &Ctx, registrars: Registrars) -> Verdict {
        self.require_all(ctx, &[Need::Registrars])?;
        check_registrars(ctx, &registrars)?;
        if let Some(key) = registrars.keys.iter().find(|k| {
            self.keys
                .get(k.as_str())
                .is_some_and(|r| r.revoked.is_some())
        }) {
            return Err(ctx.invalid(
                "registrars.keys",
                format!(
                    "key {} was revoked and cannot be a registrar",
                    short(key.as_str())
                ),
            ));
        }
        let charter = self
            .charter
            .as_mut()
            .ok_or_else(|| ctx.inconsistent("the charter"))?;
        let old = std::mem::replace(&mut charter.registrars, registrars);
        charter.entries.push(ctx.index);
        ctx.touch("charter", String::new());
        let new: Vec<String> = charter
            .registrars
            .keys
            .iter()
            .map(|k| k.to_string())
            .collect();
        for key in old
            .keys
            .iter()
            .map(|k| k.to_string())
            .chain(new.iter().cloned())
        {
            let record = self.keys.entry(key.clone()).or_insert_with(|| Key {
                keyid: key.clone(),
                mandates: Vec::new(),
                registrar: false,
                revoked: None,
            });
            record.registrar = new.contains(&key);
            ctx.touch("key", key);
        }
        Ok(())
    }

    pub(super) fn office_establish(&mut self, ctx: &Ctx, p: payload::OfficeEstablish) -> Verdict {
        let payload::OfficeEstablish { office } = p;
        self.require_all(ctx, &[Need::Registrars])?;
        let id = office.id.to_string();
        if self.offices.contains_key(&id) {
            return Err(ctx.invalid("office.id", format!("office {id} already exists")));
        }
        self.offices.insert(
            id.clone(),
            Office {
                spec: office,
                established: ctx.at.clone(),
                mandates: Vec::new(),
            },
        );
        ctx.touch("office", id);
        Ok(())
    }

    pub(super) fn document_register(&mut self, ctx: &Ctx, p: payload::DocumentRegister) -> Verdict {
        let payload::DocumentRegister { document } = p;
        self.require_any(
            ctx,
            &[
                Need::Registrars,
                Need::Role(Role::HeadOfRegion),
                Need::Role(Role::Planning),
            ],
        )?;
        let id = document.id.to_string();
        if self.documents.contains_key(&id) {
            return Err(ctx.invalid(
                "document.id",
                format!("document {id} is already registered"),
            ));
        }
        self.documents.insert(
            id.clone(),
            Document {
                spec: document,
                registered: ctx.at.clone(),
            },
        );
        ctx.touch("document", id);
        Ok(())
    }
}

pub(super) fn check_registrars(ctx: &Ctx, registrars: &Registrars) -> Verdict {
    let mut seen = BTreeSet::new();
    for key in &registrars.keys {
        if !seen.insert(key.as_str()) {
            return Err(ctx.invalid(
                "registrars.keys",
                format!("key {} is listed twice", short(key.as_str())),
            ));
        }
    }
    if registrars.threshold == 0 || registrars.threshold as usize > registrars.keys.len() {
        return Err(ctx.invalid(
            "registrars.threshold",
            format!(
                "must be between 1 and the number of keys ({})",
                registrars.keys.len()
            ),
        ));
    }
    Ok(())
}
