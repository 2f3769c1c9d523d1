//! Authority: who holds which office at a time, what a set of signatures
//! proves, and the needs a statement's signatures must meet (different
//! persons for different duties).

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::json;

use super::{Ctx, Verdict, short};
use crate::governance::model::*;
use crate::governance::state::*;
use crate::ledger::entry::parse_time;
use crate::ledger::rules::{Refusal, RefusalKind};

/// What one signing key proves at an entry's time.
#[derive(Clone, Debug)]
pub struct Standing {
    /// The key.
    pub keyid: String,
    /// The person behind it.
    pub person: String,
    /// The holder's name, if bound to a mandate.
    pub name: Option<String>,
    /// (office, mandate) pairs it counts for now.
    pub offices: Vec<(String, String)>,
    /// Whether it is a current registrar key.
    pub registrar: bool,
    /// Whether it was revoked.
    pub revoked: bool,
}

impl Standing {
    pub(super) fn holds(&self, office: &str) -> bool {
        self.offices.iter().any(|(o, _)| o == office)
    }

    pub(super) fn signers(&self) -> Vec<Signer> {
        if self.offices.is_empty() {
            return vec![Signer {
                keyid: self.keyid.clone(),
                person: self.person.clone(),
                name: self.name.clone(),
                office: None,
                mandate: None,
            }];
        }
        self.offices
            .iter()
            .map(|(office, mandate)| Signer {
                keyid: self.keyid.clone(),
                person: self.person.clone(),
                name: self.name.clone(),
                office: Some(office.clone()),
                mandate: Some(mandate.clone()),
            })
            .collect()
    }
}

/// What a statement needs its signatures to prove.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// The registrar threshold.
    Registrars,
    /// A holder of this office.
    Office(String),
    /// A holder of an office with this role.
    Role(Role),
    /// A signature by this very key.
    Key(String),
}

/// What an entry still lacks: a signature meeting one of `any_of`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Missing {
    /// In words: "the holder of Dinas Komunikasi dan Informatika (diskominfo)".
    pub needed: String,
    /// The needs any one of which a further signature could meet (empty
    /// when the rules name what is needed only in words).
    pub any_of: Vec<Need>,
}

/// Western Indonesian Time, UTC+7: the time zone before a genesis names one.
const WIB: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(tz) => tz,
    None => panic!("UTC+7 is a valid offset"),
};

impl State {
    /// The time zone of the government (WIB before the genesis).
    pub fn time_zone(&self) -> FixedOffset {
        self.charter
            .as_ref()
            .and_then(|c| time_zone_offset(c.government.timezone.as_str()))
            .unwrap_or(WIB)
    }

    /// Whether `mandate` is active at `time`.
    pub fn is_active(&self, mandate: &Mandate, time: DateTime<Utc>) -> bool {
        let tz = self.time_zone();
        mandate.ended.is_none()
            && mandate.spec.from.instant(tz) <= time
            && mandate
                .spec
                .until
                .as_ref()
                .is_none_or(|u| time < u.instant(tz))
    }

    /// When `mandate` ended, if it has: its `mandate.end` entry, or its `until`.
    pub fn ended_at(&self, mandate: &Mandate, time: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if let Some(end) = &mandate.ended {
            return parse_time(&end.recorded.recorded_at);
        }
        let until = mandate.spec.until.as_ref()?.instant(self.time_zone());
        (until <= time).then_some(until)
    }

    /// The mandate of `office` active at `time`.
    pub fn active_mandate(&self, office: &str, time: DateTime<Utc>) -> Option<&Mandate> {
        let office = self.offices.get(office)?;
        office
            .mandates
            .iter()
            .filter_map(|m| self.mandates.get(m))
            .find(|m| self.is_active(m, time))
    }

    /// Offices with `role`, in the order they were established.
    pub fn offices_with_role(&self, role: Role) -> Vec<&Office> {
        let mut offices: Vec<&Office> = self
            .offices
            .values()
            .filter(|o| o.spec.role == role)
            .collect();
        offices.sort_by_key(|o| o.established.entry);
        offices
    }

    /// The active head-of-region mandate at `time`.
    pub fn head_mandate(&self, time: DateTime<Utc>) -> Option<&Mandate> {
        self.offices_with_role(Role::HeadOfRegion)
            .into_iter()
            .find_map(|o| self.active_mandate(&o.spec.id.to_string(), time))
    }

    /// The offices whose holders at `time` could meet one of `needs`, and
    /// `registrars` for the registrar threshold: whose desks a draft
    /// lacking them waits at.
    pub fn offices_meeting(&self, needs: &[Need], time: DateTime<Utc>) -> Vec<String> {
        let mut offices = Vec::new();
        for need in needs {
            match need {
                Need::Registrars => offices.push("registrars".to_owned()),
                Need::Office(office) => offices.push(office.clone()),
                Need::Role(role) => offices.extend(
                    self.offices_with_role(*role)
                        .into_iter()
                        .map(|o| o.spec.id.to_string()),
                ),
                Need::Key(key) => offices.extend(
                    self.standings(std::slice::from_ref(key), time)
                        .into_iter()
                        .flat_map(|s| s.offices.into_iter().map(|(o, _)| o)),
                ),
            }
        }
        offices
    }

    /// What each key proves at `time`.
    pub fn standings(&self, keys: &[String], time: DateTime<Utc>) -> Vec<Standing> {
        keys.iter()
            .map(|keyid| {
                let record = self.keys.get(keyid);
                let revoked = record.is_some_and(|k| k.revoked.is_some());
                let mandates: Vec<&Mandate> = record
                    .map(|k| {
                        k.mandates
                            .iter()
                            .filter_map(|m| self.mandates.get(m))
                            .collect()
                    })
                    .unwrap_or_default();
                let offices = if revoked {
                    Vec::new()
                } else {
                    mandates
                        .iter()
                        .filter(|m| self.is_active(m, time))
                        .map(|m| (m.spec.office.to_string(), m.spec.id.to_string()))
                        .collect()
                };
                // Every mandate a key is bound to names the same person
                // (checked when binding it).
                let person = mandates
                    .iter()
                    .find_map(|m| m.spec.holder.identity())
                    .unwrap_or_else(|| format!("key:{keyid}"));
                let registrar = !revoked
                    && self
                        .charter
                        .as_ref()
                        .is_some_and(|c| c.registrars.keys.iter().any(|k| k.as_str() == keyid));
                Standing {
                    keyid: keyid.clone(),
                    person,
                    name: mandates.first().map(|m| m.spec.holder.name.to_string()),
                    offices,
                    registrar,
                    revoked,
                }
            })
            .collect()
    }

    pub(super) fn describe_office(&self, office: &str) -> String {
        match self.offices.get(office) {
            Some(o) => format!("{} ({office})", o.spec.name),
            None => format!("office {office}"),
        }
    }

    pub(super) fn describe_need(&self, need: &Need) -> String {
        match need {
            Need::Registrars => {
                let threshold = self.charter.as_ref().map_or(1, |c| c.registrars.threshold);
                format!("{threshold} registrar signature(s)")
            }
            Need::Office(office) => format!("the holder of {}", self.describe_office(office)),
            Need::Role(role) => role.describe().to_owned(),
            Need::Key(key) => format!("key {}", short(key)),
        }
    }

    pub(super) fn describe_standings(&self, standings: &[Standing]) -> String {
        standings
            .iter()
            .map(|s| {
                let mut what: Vec<String> = s
                    .offices
                    .iter()
                    .map(|(o, m)| format!("{} through mandate {m}", self.describe_office(o)))
                    .collect();
                if s.registrar {
                    what.push("a registrar".into());
                }
                if s.revoked {
                    what.push("a revoked key".into());
                }
                if what.is_empty() {
                    what.push("no office held at this time".into());
                }
                let who = s
                    .name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default();
                format!("key {}{who}: {}", short(&s.keyid), what.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(super) fn satisfied(&self, need: &Need, standings: &[Standing]) -> bool {
        match need {
            Need::Registrars => {
                let threshold = self
                    .charter
                    .as_ref()
                    .map_or(u32::MAX, |c| c.registrars.threshold);
                standings.iter().filter(|s| s.registrar).count() as u64 >= u64::from(threshold)
            }
            Need::Office(office) => standings.iter().any(|s| s.holds(office)),
            Need::Role(role) => standings.iter().any(|s| {
                s.offices
                    .iter()
                    .any(|(o, _)| self.offices.get(o).is_some_and(|o| o.spec.role == *role))
            }),
            Need::Key(key) => standings.iter().any(|s| &s.keyid == key),
        }
    }

    pub(super) fn unauthorized(&self, ctx: &Ctx, needed: String) -> Refusal {
        let standings = &ctx.standings;
        let proved = self.describe_standings(standings);
        Refusal {
            kind: RefusalKind::Unauthorized,
            message: format!(
                "{} needs a signature by {needed}; the signatures proved: {proved}",
                ctx.statement_type
            ),
            details: json!({
                "needed": needed,
                "proved": standings.iter().map(|s| json!({
                    "keyid": s.keyid,
                    "name": s.name,
                    "offices": s.offices.iter().map(|(o, m)| json!({"office": o, "mandate": m})).collect::<Vec<_>>(),
                    "registrar": s.registrar,
                    "revoked": s.revoked,
                })).collect::<Vec<_>>(),
            }),
        }
    }

    /// Every need must hold, and the needs for offices and roles must be
    /// met by different persons: one person holding two offices (a Sekda
    /// who is also Plh Bupati) signs for one of them only.
    pub(super) fn require_all(&self, ctx: &Ctx, needs: &[Need]) -> Verdict {
        let standings = &ctx.standings;
        let mut unmet = false;
        for need in needs {
            if !self.satisfied(need, standings) {
                self.lacking(ctx, std::slice::from_ref(need), " or ")?;
                unmet = true;
            }
        }
        if unmet {
            // Different persons are judged once every need is met.
            return Ok(());
        }
        let duties = self.duties(needs);
        if duties.len() < 2 {
            return Ok(());
        }
        let candidates: Vec<BTreeSet<&str>> = duties
            .iter()
            .map(|need| {
                standings
                    .iter()
                    .filter(|s| self.satisfied(need, std::slice::from_ref(s)))
                    .map(|s| s.person.as_str())
                    .collect()
            })
            .collect();
        if distinct_persons(&candidates, &mut BTreeSet::new()) {
            return Ok(());
        }
        let needed = duties
            .iter()
            .map(|n| self.describe_need(n))
            .collect::<Vec<_>>()
            .join(" and ");
        let persons: BTreeSet<&str> = candidates.iter().flatten().copied().collect();
        Err(Refusal {
            kind: RefusalKind::Unauthorized,
            message: format!(
                "{} needs {needed}, each signed by a different person; the signatures come from {} person(s) ({}), and one person signs for one office only",
                ctx.statement_type,
                persons.len(),
                persons.iter().copied().collect::<Vec<_>>().join(", ")
            ),
            details: json!({
                "needed": format!("different persons for {needed}"),
                "persons": persons,
            }),
        })
    }

    /// The needs of offices and roles among `needs`, one per office: a
    /// role need that a named office of that role already meets is the
    /// same duty (an owner office that is itself the Bupati's).
    pub(super) fn duties(&self, needs: &[Need]) -> Vec<Need> {
        let office_roles: Vec<Role> = needs
            .iter()
            .filter_map(|n| match n {
                Need::Office(o) => self.offices.get(o).map(|o| o.spec.role),
                _ => None,
            })
            .collect();
        needs
            .iter()
            .filter(|n| match n {
                Need::Office(_) => true,
                Need::Role(role) => !office_roles.contains(role),
                Need::Registrars | Need::Key(_) => false,
            })
            .cloned()
            .collect()
    }

    /// The owner office and the head of region must both sign, as two
    /// persons: what changing a commitment or its milestones takes.
    pub(super) fn require_owner_and_head(&self, ctx: &Ctx, owner: String) -> Verdict {
        let needs = [Need::Office(owner), Need::Role(Role::HeadOfRegion)];
        self.require_all(ctx, &needs)
    }

    /// At least one need must hold.
    pub(super) fn require_any(&self, ctx: &Ctx, needs: &[Need]) -> Verdict {
        if needs.iter().any(|n| self.satisfied(n, &ctx.standings)) {
            return Ok(());
        }
        self.lacking(ctx, needs, " or ")
    }

    /// No signature meets any of `needs`: a refusal, or, when the entry is
    /// only being assessed, one more thing it is missing.
    fn lacking(&self, ctx: &Ctx, needs: &[Need], joined: &str) -> Verdict {
        let mut needed = needs
            .iter()
            .map(|n| self.describe_need(n))
            .collect::<Vec<_>>()
            .join(joined);
        if needs == [Need::Registrars] {
            let signed = ctx.standings.iter().filter(|s| s.registrar).count();
            needed = format!("{needed} ({signed} so far)");
        }
        if let Some(missing) = &ctx.missing {
            missing.borrow_mut().push(Missing {
                needed,
                any_of: needs.to_vec(),
            });
            return Ok(());
        }
        Err(self.unauthorized(ctx, needed))
    }
}

/// Whether each need can be given its own person from its candidates.
pub(super) fn distinct_persons<'a>(
    candidates: &[BTreeSet<&'a str>],
    taken: &mut BTreeSet<&'a str>,
) -> bool {
    let Some((first, rest)) = candidates.split_first() else {
        return true;
    };
    for person in first {
        if taken.insert(person) {
            if distinct_persons(rest, taken) {
                return true;
            }
            taken.remove(person);
        }
    }
    false
}
