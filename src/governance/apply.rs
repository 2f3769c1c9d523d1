//! The rules: how each statement changes the state, and when it is refused.
//!
//! [`State::apply`] judges an entry against the state before it, at the
//! entry's `recorded_at`, and either changes the state or refuses with a
//! reason. It is the single implementation the server (on append) and the
//! auditor (on replay) both run.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde_json::json;

use super::model::*;
use super::state::*;
use crate::ledger::entry::{Entry, parse_time};
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
    fn invalid(&self, field: &str, problem: impl Into<String>) -> Refusal {
        let problem = problem.into();
        Refusal {
            kind: RefusalKind::Invalid,
            message: format!("{} refused: {field}: {problem}", self.statement_type),
            details: json!({ "field": field, "problem": problem }),
        }
    }
}

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
    fn holds(&self, office: &str) -> bool {
        self.offices.iter().any(|(o, _)| o == office)
    }

    fn signers(&self) -> Vec<Signer> {
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
#[derive(Clone, Debug)]
enum Need {
    /// The registrar threshold.
    Registrars,
    /// A holder of this office.
    Office(String),
    /// A holder of an office with this role.
    Role(Role),
    /// A signature by this very key.
    Key(String),
}

impl State {
    /// The time zone of the government (WIB before the genesis).
    pub fn time_zone(&self) -> FixedOffset {
        self.charter
            .as_ref()
            .and_then(|c| time_zone_offset(c.government.timezone.as_str()))
            .unwrap_or_else(|| FixedOffset::east_opt(7 * 3600).expect("UTC+7"))
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

    fn describe_office(&self, office: &str) -> String {
        match self.offices.get(office) {
            Some(o) => format!("{} ({office})", o.spec.name),
            None => format!("office {office}"),
        }
    }

    fn describe_need(&self, need: &Need) -> String {
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

    fn describe_standings(&self, standings: &[Standing]) -> String {
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

    fn satisfied(&self, need: &Need, standings: &[Standing]) -> bool {
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

    fn unauthorized(&self, ctx: &Ctx, needed: String, standings: &[Standing]) -> Refusal {
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
    fn require_all(
        &self,
        ctx: &Ctx,
        needs: &[Need],
        standings: &[Standing],
    ) -> Result<(), Refusal> {
        for need in needs {
            if !self.satisfied(need, standings) {
                return Err(self.unauthorized(ctx, self.describe_need(need), standings));
            }
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
    fn duties(&self, needs: &[Need]) -> Vec<Need> {
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

    /// At least one need must hold.
    fn require_any(
        &self,
        ctx: &Ctx,
        needs: &[Need],
        standings: &[Standing],
    ) -> Result<(), Refusal> {
        if needs.iter().any(|n| self.satisfied(n, standings)) {
            return Ok(());
        }
        let needed = needs
            .iter()
            .map(|n| self.describe_need(n))
            .collect::<Vec<_>>()
            .join(" or ");
        Err(self.unauthorized(ctx, needed, standings))
    }

    fn signers_of(standings: &[Standing]) -> Vec<Signer> {
        standings.iter().flat_map(Standing::signers).collect()
    }

    /// Applies one entry. On a refusal the state is unchanged: every rule
    /// of a statement is checked before anything is changed. Keep it so
    /// when adding a rule (debug builds check it on every refusal).
    pub fn apply(
        &mut self,
        entry: &Entry,
        envelope: &VerifiedEnvelope,
    ) -> Result<Touched, Refusal> {
        let time = parse_time(&entry.recorded_at).unwrap_or_default();
        let ctx = Ctx {
            index: entry.index,
            at: At {
                entry: entry.index,
                recorded_at: entry.recorded_at.clone(),
            },
            time,
            tz: self.time_zone(),
            statement_type: envelope.statement_type.clone(),
            signers: envelope.signers.iter().map(keyid_of).collect(),
        };
        let statement = Statement::parse(&envelope.statement_type, &envelope.statement)
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
            Statement::Genesis {
                government,
                registrars,
                pillars,
            } => {
                if time_zone_offset(government.timezone.as_str()).is_none() {
                    return Err(ctx.invalid(
                        "government.timezone",
                        "must be Asia/Jakarta, Asia/Pontianak, Asia/Makassar or Asia/Jayapura",
                    ));
                }
                check_registrars(&ctx, &registrars)?;
                let mut ids = BTreeSet::new();
                if pillars.is_empty() {
                    return Err(ctx.invalid("pillars", "at least one pillar is needed"));
                }
                for p in &pillars {
                    if !ids.insert(p.id.as_str()) {
                        return Err(
                            ctx.invalid("pillars", format!("pillar {} appears twice", p.id))
                        );
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
                    touched.push(("key", key.to_string()));
                }
                self.charter = Some(Charter {
                    government,
                    registrars,
                    pillars,
                    entries: vec![ctx.index],
                });
                touched.push(("charter", String::new()));
            }
            Statement::RegistrarsUpdate(registrars) => {
                self.require_all(&ctx, &[Need::Registrars], &standings)?;
                check_registrars(&ctx, &registrars)?;
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
                let charter = self.charter.as_mut().expect("genesis came first");
                let old = std::mem::replace(&mut charter.registrars, registrars);
                charter.entries.push(ctx.index);
                touched.push(("charter", String::new()));
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
                    touched.push(("key", key));
                }
            }
            Statement::OfficeEstablish(office) => {
                self.require_all(&ctx, &[Need::Registrars], &standings)?;
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
                touched.push(("office", id));
            }
            Statement::MandateBegin { mandate, keys } => {
                self.begin_mandate(&ctx, &standings, mandate, keys, &mut touched)?;
            }
            Statement::MandateEnd {
                mandate,
                at,
                reason,
            } => {
                self.require_all(&ctx, &[Need::Registrars], &standings)?;
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
                touched.push(("mandate", id));
            }
            Statement::KeyAdd { mandate, key } => {
                self.require_all(
                    &ctx,
                    &[Need::Registrars, Need::Key(key.to_string())],
                    &standings,
                )?;
                let id = mandate.to_string();
                let Some(m) = self.mandates.get(&id) else {
                    return Err(ctx.invalid("mandate", format!("no mandate {id}")));
                };
                if m.ended.is_some() {
                    return Err(ctx.invalid("mandate", format!("mandate {id} has ended")));
                }
                if m.keys.iter().any(|k| k == key.as_str()) {
                    return Err(
                        ctx.invalid("key", format!("the key is already bound to mandate {id}"))
                    );
                }
                if self
                    .keys
                    .get(key.as_str())
                    .is_some_and(|k| k.revoked.is_some())
                {
                    return Err(ctx.invalid("key", "the key was revoked"));
                }
                if let Some(person) = m.spec.holder.identity() {
                    self.check_key_person(&ctx, "key", key.as_str(), &person)?;
                }
                self.bind_key(&id, key.as_str(), &mut touched);
            }
            Statement::KeyRevoke {
                key,
                reason,
                compromised_since,
            } => {
                self.require_any(
                    &ctx,
                    &[Need::Registrars, Need::Key(key.to_string())],
                    &standings,
                )?;
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
                touched.push(("key", key.to_string()));
            }
            Statement::DocumentRegister(document) => {
                self.require_any(
                    &ctx,
                    &[
                        Need::Registrars,
                        Need::Role(Role::HeadOfRegion),
                        Need::Role(Role::Planning),
                    ],
                    &standings,
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
                touched.push(("document", id));
            }
            Statement::ProgrammeRegister(programme) | Statement::ProgrammeUpdate(programme) => {
                let update = envelope.statement_type == "programme.update";
                self.require_all(
                    &ctx,
                    &[Need::Role(Role::HeadOfRegion), Need::Role(Role::Planning)],
                    &standings,
                )?;
                self.check_programme(&ctx, &programme)?;
                let id = programme.id.to_string();
                let version = ProgrammeVersion {
                    recorded: ctx.at.clone(),
                    programme: programme.clone(),
                };
                match (self.programmes.get_mut(&id), update) {
                    (Some(_), false) => {
                        return Err(ctx.invalid(
                            "programme.id",
                            format!("programme {id} already exists; use programme.update"),
                        ));
                    }
                    (None, true) => {
                        return Err(ctx.invalid("programme.id", format!("no programme {id}")));
                    }
                    (Some(existing), true) => {
                        existing.spec = programme;
                        existing.versions.push(version);
                        existing.entries.push(ctx.index);
                    }
                    (None, false) => {
                        self.programmes.insert(
                            id.clone(),
                            Programme {
                                spec: programme,
                                versions: vec![version],
                                commitments: Vec::new(),
                                entries: vec![ctx.index],
                            },
                        );
                    }
                }
                touched.push(("programme", id));
            }
            Statement::CommitmentMake(commitment) => {
                let programme_id = commitment.programme.to_string();
                let Some(programme) = self.programmes.get(&programme_id) else {
                    return Err(ctx.invalid(
                        "commitment.programme",
                        format!("no programme {programme_id}"),
                    ));
                };
                let owner = programme.spec.owner.to_string();
                self.require_all(
                    &ctx,
                    &[Need::Office(owner), Need::Role(Role::HeadOfRegion)],
                    &standings,
                )?;
                let id = commitment.id.to_string();
                if self.commitments.contains_key(&id) {
                    return Err(
                        ctx.invalid("commitment.id", format!("commitment {id} already exists"))
                    );
                }
                check_indicators(&ctx, "commitment.indicators", &commitment.indicators)?;
                check_budget(&ctx, "commitment.budget", &commitment.budget)?;
                let head = self.head_mandate(ctx.time).map(|m| m.spec.id.to_string());
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
                            signers: Self::signers_of(&standings),
                        }],
                        milestones: Vec::new(),
                    },
                );
                let programme = self
                    .programmes
                    .get_mut(&programme_id)
                    .expect("checked above");
                programme.commitments.push(id.clone());
                programme.entries.push(ctx.index);
                touched.push(("commitment", id));
                touched.push(("programme", programme_id));
            }
            Statement::CommitmentAmend {
                commitment,
                changes,
                justification,
            } => {
                let (id, owner) = self.open_commitment(&ctx, &commitment)?;
                self.require_all(
                    &ctx,
                    &[Need::Office(owner), Need::Role(Role::HeadOfRegion)],
                    &standings,
                )?;
                if changes == CommitmentChanges::default() {
                    return Err(ctx.invalid(
                        "changes",
                        "name at least one of title, description, indicators, budget, due",
                    ));
                }
                if let Some(indicators) = &changes.indicators {
                    check_indicators(&ctx, "changes.indicators", indicators)?;
                }
                if let Some(budget) = &changes.budget {
                    check_budget(&ctx, "changes.budget", budget)?;
                }
                let head = self.head_mandate(ctx.time).map(|m| m.spec.id.to_string());
                let c = self.commitments.get_mut(&id).expect("checked above");
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
                    signers: Self::signers_of(&standings),
                });
                self.touch_commitment(&id, ctx.index, &mut touched);
            }
            Statement::CommitmentReaffirm { commitment, note } => {
                let (id, _) = self.open_commitment(&ctx, &commitment)?;
                self.require_all(&ctx, &[Need::Role(Role::HeadOfRegion)], &standings)?;
                let head = self.head_mandate(ctx.time).map(|m| m.spec.id.to_string());
                let c = self.commitments.get_mut(&id).expect("checked above");
                c.status = CommitmentStatus::Active;
                c.events.push(CommitmentEvent {
                    recorded: ctx.at.clone(),
                    action: CommitmentAction::Reaffirmed,
                    head_mandate: head,
                    text: note,
                    basis: None,
                    signers: Self::signers_of(&standings),
                });
                self.touch_commitment(&id, ctx.index, &mut touched);
            }
            Statement::CommitmentDiscontinue {
                commitment,
                justification,
                basis,
            } => {
                let (id, _) = self.open_commitment(&ctx, &commitment)?;
                self.require_all(
                    &ctx,
                    &[Need::Role(Role::HeadOfRegion), Need::Role(Role::Secretary)],
                    &standings,
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
                let c = self.commitments.get_mut(&id).expect("checked above");
                c.status = CommitmentStatus::Discontinued;
                c.events.push(CommitmentEvent {
                    recorded: ctx.at.clone(),
                    action: CommitmentAction::Discontinued,
                    head_mandate: head.map(|m| m.spec.id.to_string()),
                    text: Some(justification),
                    basis: Some(basis),
                    signers: Self::signers_of(&standings),
                });
                self.touch_commitment(&id, ctx.index, &mut touched);
            }
            Statement::CommitmentComplete { commitment, note } => {
                let (id, owner) = self.open_commitment(&ctx, &commitment)?;
                self.require_all(
                    &ctx,
                    &[Need::Office(owner), Need::Role(Role::HeadOfRegion)],
                    &standings,
                )?;
                let c = self.commitments.get(&id).expect("checked above");
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
                let head = self.head_mandate(ctx.time).map(|m| m.spec.id.to_string());
                let c = self.commitments.get_mut(&id).expect("checked above");
                c.status = CommitmentStatus::Completed;
                c.events.push(CommitmentEvent {
                    recorded: ctx.at.clone(),
                    action: CommitmentAction::Completed,
                    head_mandate: head,
                    text: note,
                    basis: None,
                    signers: Self::signers_of(&standings),
                });
                self.touch_commitment(&id, ctx.index, &mut touched);
            }
            Statement::MilestoneSchedule(milestone) => {
                let (commitment_id, owner) = self.open_commitment(&ctx, &milestone.commitment)?;
                self.require_all(&ctx, &[Need::Office(owner.clone())], &standings)?;
                let id = milestone.id.to_string();
                if self.milestones.contains_key(&id) {
                    return Err(
                        ctx.invalid("milestone.id", format!("milestone {id} already exists"))
                    );
                }
                let approvers = self.approvers(&ctx, &owner, milestone.approvers.as_deref())?;
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
                self.commitments
                    .get_mut(&commitment_id)
                    .expect("checked above")
                    .milestones
                    .push(id.clone());
                touched.push(("milestone", id));
                self.touch_commitment(&commitment_id, ctx.index, &mut touched);
            }
            Statement::MilestoneReschedule {
                milestone,
                due,
                justification,
            } => {
                let (id, commitment, owner) = self.open_milestone(&ctx, &milestone)?;
                self.require_all(
                    &ctx,
                    &[Need::Office(owner), Need::Role(Role::HeadOfRegion)],
                    &standings,
                )?;
                let m = self.milestones.get_mut(&id).expect("checked above");
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
                touched.push(("milestone", id));
                self.touch_commitment(&commitment, ctx.index, &mut touched);
            }
            Statement::MilestoneReport {
                milestone,
                status,
                date_met,
                progress,
                evidence,
                note,
            } => {
                let (id, commitment, owner) = self.open_milestone(&ctx, &milestone)?;
                self.require_all(&ctx, &[Need::Office(owner)], &standings)?;
                for (field, value) in [
                    ("progress.physical_pct", progress.physical_pct),
                    ("progress.financial_pct", progress.financial_pct),
                ] {
                    if !(0.0..=100.0).contains(&value) {
                        return Err(ctx.invalid(field, "must be between 0 and 100"));
                    }
                }
                if date_met.is_some() && status == Assessment::NotMet {
                    return Err(
                        ctx.invalid("date_met", "a milestone that was not met has no date_met")
                    );
                }
                let m = self.milestones.get_mut(&id).expect("checked above");
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
                    signers: Self::signers_of(&standings),
                    approvals: Vec::new(),
                    outcome: ReportOutcome::Pending,
                });
                m.pending_report = Some(ctx.index);
                touched.push(("milestone", id));
                self.touch_commitment(&commitment, ctx.index, &mut touched);
            }
            Statement::MilestoneApprove {
                milestone,
                report,
                decision,
                note,
            } => {
                self.approve(
                    &ctx,
                    &standings,
                    &milestone,
                    report,
                    decision,
                    note,
                    &mut touched,
                )?;
            }
            Statement::HandoverRecord {
                office,
                outgoing,
                incoming,
                at,
                basis,
                open_commitments,
                notes,
            } => {
                let handover = Handover {
                    recorded: ctx.at.clone(),
                    office: office.to_string(),
                    outgoing: outgoing.to_string(),
                    incoming: incoming.to_string(),
                    at,
                    basis,
                    open_commitments: open_commitments.iter().map(Id::to_string).collect(),
                    notes,
                    signers: Self::signers_of(&standings),
                };
                self.handover(&ctx, &standings, handover, &mut touched)?;
            }
            Statement::AuditNote {
                subject,
                finding,
                severity,
                recommendation,
            } => {
                self.require_all(&ctx, &[Need::Role(Role::Inspectorate)], &standings)?;
                let programme = self.subject_programme(&ctx, &subject)?;
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
                        signers: Self::signers_of(&standings),
                        responses: Vec::new(),
                    },
                );
                touched.push(("audit_note", key));
                if let Some(p) = programme {
                    self.touch_programme(&p, ctx.index, &mut touched);
                }
            }
            Statement::AuditResponse { note, response } => {
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
                self.require_any(&ctx, &needs, &standings)?;
                let programme = audit.programme.clone();
                let audit = self.audit_notes.get_mut(&key).expect("checked above");
                audit.responses.push(AuditResponse {
                    recorded: ctx.at.clone(),
                    response,
                    signers: Self::signers_of(&standings),
                });
                touched.push(("audit_note", key));
                if let Some(p) = programme {
                    self.touch_programme(&p, ctx.index, &mut touched);
                }
            }
        }
        Ok(touched)
    }

    fn begin_mandate(
        &mut self,
        ctx: &Ctx,
        standings: &[Standing],
        mandate: MandateSpec,
        keys: Vec<KeyId>,
        touched: &mut Touched,
    ) -> Result<(), Refusal> {
        self.require_all(ctx, &[Need::Registrars], standings)?;
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
            .filter(|n| !self.satisfied(n, standings))
            .collect();
        if let Some(need) = missing.first() {
            return Err(self.unauthorized(
                ctx,
                format!(
                    "{} (each key listed in keys must sign its mandate)",
                    self.describe_need(need)
                ),
                standings,
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
        self.mandates.insert(
            id.clone(),
            Mandate {
                spec: mandate,
                keys: Vec::new(),
                begun: ctx.at.clone(),
                ended: None,
            },
        );
        self.offices
            .get_mut(&office_id)
            .expect("checked above")
            .mandates
            .push(id.clone());
        touched.push(("office", office_id));
        for key in &keys {
            self.bind_key(&id, key.as_str(), touched);
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
                let c = self.commitments.get_mut(&cid).expect("listed above");
                c.status = CommitmentStatus::AwaitingReaffirmation;
                c.events.push(CommitmentEvent {
                    recorded: ctx.at.clone(),
                    action: CommitmentAction::Inherited,
                    head_mandate: Some(id.clone()),
                    text: None,
                    basis: None,
                    signers: Vec::new(),
                });
                self.touch_commitment(&cid, ctx.index, touched);
            }
        }
        Ok(())
    }

    /// One key is one person: a key already bound to another person's
    /// mandate is not bound to `person`'s.
    fn check_key_person(
        &self,
        ctx: &Ctx,
        field: &str,
        key: &str,
        person: &str,
    ) -> Result<(), Refusal> {
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

    fn bind_key(&mut self, mandate: &str, key: &str, touched: &mut Touched) {
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
        touched.push(("key", key.to_owned()));
        touched.push(("mandate", mandate.to_owned()));
    }

    fn check_programme(&self, ctx: &Ctx, p: &ProgrammeSpec) -> Result<(), Refusal> {
        let charter = self.charter.as_ref().expect("genesis came first");
        if !charter.pillars.iter().any(|x| x.id == p.pillar) {
            let known: Vec<&str> = charter.pillars.iter().map(|x| x.id.as_str()).collect();
            return Err(ctx.invalid(
                "programme.pillar",
                format!(
                    "no pillar {}; the pillars are {}",
                    p.pillar,
                    known.join(", ")
                ),
            ));
        }
        if !self.offices.contains_key(p.owner.as_str()) {
            return Err(ctx.invalid("programme.owner", format!("no office {}", p.owner)));
        }
        if p.period.until.instant(ctx.tz) < p.period.from.instant(ctx.tz) {
            return Err(ctx.invalid("programme.period.until", "must not be before period.from"));
        }
        let mut seen = BTreeSet::new();
        for d in &p.documents {
            if !self.documents.contains_key(d.as_str()) {
                return Err(ctx.invalid(
                    "programme.documents",
                    format!("document {d} is not registered"),
                ));
            }
            if !seen.insert(d) {
                return Err(ctx.invalid(
                    "programme.documents",
                    format!("document {d} is listed twice"),
                ));
            }
        }
        Ok(())
    }

    /// An open commitment's id and its programme's owner office.
    fn open_commitment(&self, ctx: &Ctx, id: &Id) -> Result<(String, String), Refusal> {
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

    /// A milestone of an open commitment: its id, commitment and owner office.
    fn open_milestone(&self, ctx: &Ctx, id: &Id) -> Result<(String, String, String), Refusal> {
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

    fn approvers(
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
    fn approve(
        &mut self,
        ctx: &Ctx,
        standings: &[Standing],
        milestone: &Id,
        report: u64,
        decision: Decision,
        note: Option<Text>,
        touched: &mut Touched,
    ) -> Result<(), Refusal> {
        let (id, commitment, _) = self.open_milestone(ctx, milestone)?;
        let m = self.milestones.get(&id).expect("checked above");
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
            .expect("pending report is listed");
        // Separation of duties.
        let reporters: BTreeSet<&str> = r.signers.iter().map(|s| s.person.as_str()).collect();
        let approved_persons: BTreeSet<&str> = r
            .approvals
            .iter()
            .map(|a| a.signer.person.as_str())
            .collect();
        let approved_offices: BTreeSet<&str> =
            r.approvals.iter().map(|a| a.office.as_str()).collect();
        for s in standings {
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
            standings
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
                standings,
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
        let m = self.milestones.get_mut(&id).expect("checked above");
        let all = m.approvers.clone();
        let r = m
            .reports
            .iter_mut()
            .find(|r| r.recorded.entry == report)
            .expect("pending report is listed");
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
        touched.push(("milestone", id));
        self.touch_commitment(&commitment, ctx.index, touched);
        Ok(())
    }

    fn handover(
        &mut self,
        ctx: &Ctx,
        standings: &[Standing],
        handover: Handover,
        touched: &mut Touched,
    ) -> Result<(), Refusal> {
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
        let incoming_signed = standings.iter().any(|s| {
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
                standings,
            ));
        }
        // The outgoing holder signs, within the grace period, or the registrars do.
        let grace = self
            .ended_at(outgoing, ctx.time)
            .is_some_and(|end| ctx.time - end <= Duration::days(HANDOVER_GRACE_DAYS));
        let outgoing_signed = grace
            && standings
                .iter()
                .any(|s| !s.revoked && outgoing.keys.contains(&s.keyid));
        if !outgoing_signed && !self.satisfied(&Need::Registrars, standings) {
            return Err(self.unauthorized(
                ctx,
                format!(
                    "the outgoing holder {} (a key of mandate {}, within {HANDOVER_GRACE_DAYS} days of its end) or {}",
                    outgoing.spec.holder.name,
                    outgoing.spec.id,
                    self.describe_need(&Need::Registrars)
                ),
                standings,
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
        touched.push(("handover", key));
        for c in listed {
            if let Some(p) = self.commitments.get(&c).map(|c| c.programme.clone()) {
                self.touch_programme(&p, ctx.index, touched);
            }
        }
        Ok(())
    }

    fn subject_programme(&self, ctx: &Ctx, subject: &Subject) -> Result<Option<String>, Refusal> {
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

    fn touch_programme(&mut self, programme: &str, index: u64, touched: &mut Touched) {
        if let Some(p) = self.programmes.get_mut(programme) {
            if p.entries.last() != Some(&index) {
                p.entries.push(index);
            }
            touched.push(("programme", programme.to_owned()));
        }
    }

    fn touch_commitment(&mut self, commitment: &str, index: u64, touched: &mut Touched) {
        touched.push(("commitment", commitment.to_owned()));
        if let Some(p) = self
            .commitments
            .get(commitment)
            .map(|c| c.programme.clone())
        {
            self.touch_programme(&p, index, touched);
        }
    }
}

fn check_registrars(ctx: &Ctx, registrars: &Registrars) -> Result<(), Refusal> {
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

fn check_indicators(ctx: &Ctx, field: &str, indicators: &[Indicator]) -> Result<(), Refusal> {
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

fn check_budget(ctx: &Ctx, field: &str, budget: &Budget) -> Result<(), Refusal> {
    if budget.currency.as_str() != "IDR" {
        return Err(ctx.invalid(&format!("{field}.currency"), "must be \"IDR\""));
    }
    Ok(())
}

/// The first 16 hex digits of a key, for messages.
pub fn short(keyid: &str) -> String {
    let end = keyid.len().min(16);
    format!("{}…", &keyid[..end])
}

/// Whether each need can be given its own person from its candidates.
fn distinct_persons<'a>(candidates: &[BTreeSet<&'a str>], taken: &mut BTreeSet<&'a str>) -> bool {
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
