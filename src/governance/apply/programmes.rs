//! Programmes: registered and updated by the head of region and planning.

use std::collections::BTreeSet;

use super::authority::Need;
use super::{Ctx, Verdict};
use crate::governance::model::*;
use crate::governance::state::*;

impl State {
    pub(super) fn programme(
        &mut self,
        ctx: &Ctx,
        programme: ProgrammeSpec,
        update: bool,
    ) -> Verdict {
        self.require_all(
            ctx,
            &[Need::Role(Role::HeadOfRegion), Need::Role(Role::Planning)],
        )?;
        self.check_programme(ctx, &programme)?;
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
            }
            (None, false) => {
                self.programmes.insert(
                    id.clone(),
                    Programme {
                        spec: programme,
                        versions: vec![version],
                        commitments: Vec::new(),
                    },
                );
            }
        }
        self.histories.programme_entry(&id, ctx.index);
        ctx.touch("programme", id);
        Ok(())
    }

    pub(super) fn check_programme(&self, ctx: &Ctx, p: &ProgrammeSpec) -> Verdict {
        let charter = self
            .charter
            .as_ref()
            .ok_or_else(|| ctx.inconsistent("the charter"))?;
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

    /// Records that the entry concerned `programme` (or something in it)
    /// without changing the programme itself: its list of entries is one
    /// of the state's [`histories`](State::histories).
    pub(super) fn touch_programme(&mut self, programme: &str, ctx: &Ctx) {
        if self.programmes.contains_key(programme) {
            self.histories.programme_entry(programme, ctx.index);
        }
    }
}
