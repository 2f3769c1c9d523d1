//! Properties of the governance fold, without a database: statements of the
//! demonstration story, mutated at random (signers, a missing field, a
//! changed value, another type) and applied after the whole story, are
//! either accepted or refused with the state left exactly as it was; and
//! applying the same entry to the same state always gives the same result.

use chrono::Utc;
use prasasti::governance::apply::Assessment;
use prasasti::governance::demo::{self, KEY_NAMES, Step, seal_step};
use prasasti::governance::model::StatementType;
use prasasti::governance::{Folded, StateFold};
use prasasti::ledger::entry::{ENTRY_VERSION, Entry};
use prasasti::ledger::rules::{Fold, RefusalKind};
use prasasti::ledger::statement::VerifiedEnvelope;
use proptest::prelude::*;
use serde_json::Value;

const ORIGIN: &str = "properties.prasasti.example/ledger";

fn entry(index: u64, step: &Step) -> (Entry, VerifiedEnvelope) {
    let envelope = seal_step(ORIGIN, step);
    let verified =
        VerifiedEnvelope::check(envelope.clone(), ORIGIN).expect("a well-signed envelope");
    let entry = Entry {
        v: ENTRY_VERSION,
        index,
        prev: prasasti::tlog::hash::Hash::ZERO,
        recorded_at: prasasti::ledger::entry::RecordedAt::new(Utc::now()),
        envelope,
    };
    (entry, verified)
}

/// The state after the whole story.
fn story_state() -> (Vec<Step>, Folded) {
    let steps = demo::story(ORIGIN);
    let mut fold = StateFold::new();
    for (i, step) in steps.iter().enumerate() {
        let (e, v) = entry(i as u64, step);
        fold.apply(&e, &v).expect("the story is valid");
    }
    (steps, fold.into_folded())
}

/// Every string leaf of a JSON value, as paths of keys and indices.
fn string_leaves(value: &Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        Value::String(_) => out.push(path),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let mut p = path.clone();
                p.push(i.to_string());
                string_leaves(v, p, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                if path.is_empty() && ["type", "ledger", "id"].contains(&k.as_str()) {
                    continue;
                }
                let mut p = path.clone();
                p.push(k.clone());
                string_leaves(v, p, out);
            }
        }
        _ => {}
    }
}

fn set_at(value: &mut Value, path: &[String], new: Value) {
    let mut at = value;
    for key in path {
        at = match at {
            Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
            Value::Object(map) => map.get_mut(key).unwrap(),
            _ => return,
        };
    }
    *at = new;
}

const VALUES: [&str; 12] = [
    "bupati",
    "sekda",
    "bappeda-2021",
    "portal-satu-data",
    "sensor-longsor-install",
    "2020-01-01",
    "2031-12-31",
    "met",
    "0",
    "",
    "head_of_region",
    "berita_acara",
];

/// A statement of the story changed at random: other signers (0), a field
/// missing (1), a value changed (2) or another type (3), with a fresh id.
pub(crate) fn mutated(
    steps: &[Step],
    pick: usize,
    kind: u8,
    a: usize,
    b: usize,
    signer_mask: u32,
) -> Step {
    let mut step = steps[pick % steps.len()].clone();
    let mut statement = Value::Object(step.statement.clone());
    match kind {
        0 => {
            // Other signers: a few of the demo keys.
            step.signers = KEY_NAMES
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    signer_mask & (1 << ((i + a) % 6)) != 0 && (i + a).is_multiple_of(3)
                })
                .map(|(_, n)| *n)
                .collect();
            if step.signers.is_empty() {
                step.signers = vec![KEY_NAMES[a % KEY_NAMES.len()]];
            }
        }
        1 => {
            // A field missing.
            let keys: Vec<String> = statement
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| !["type", "ledger", "id"].contains(&k.as_str()))
                .cloned()
                .collect();
            if !keys.is_empty() {
                statement
                    .as_object_mut()
                    .unwrap()
                    .remove(&keys[a % keys.len()]);
            }
        }
        2 => {
            // A value changed.
            let mut leaves = Vec::new();
            string_leaves(&statement, Vec::new(), &mut leaves);
            if !leaves.is_empty() {
                set_at(
                    &mut statement,
                    &leaves[a % leaves.len()],
                    Value::String(VALUES[b % VALUES.len()].into()),
                );
            }
        }
        _ => {
            // Another type with the same fields.
            statement["type"] = StatementType::ALL[a % StatementType::ALL.len()]
                .as_str()
                .into();
        }
    }
    statement["id"] = format!("prop-{pick}-{kind}-{a}-{b}").into();
    step.statement = statement.as_object().unwrap().clone();
    step
}

prop_compose! {
    /// A statement of the story changed at random.
    fn changed_step()(
        pick in 0usize..1000,
        kind in 0u8..4,
        a in 0usize..1000,
        b in 0usize..1000,
        signer_mask in 1u32..(1 << 6),
    ) -> Step {
        STORY.with(|s| mutated(&s.0, pick, kind, a, b, signer_mask))
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn a_refused_entry_leaves_the_state_exactly_as_it_was(step in changed_step()) {
        let base = STORY.with(|s| s.1.clone());
        let (e, v) = entry(base.size, &step);

        let before = base.state.hash();
        let mut first = StateFold::from(base.clone());
        let mut second = StateFold::from(base.clone());
        let r1 = first.apply(&e, &v);
        let r2 = second.apply(&e, &v);
        prop_assert_eq!(r1.is_ok(), r2.is_ok());
        prop_assert_eq!(first.state_hash(), second.state_hash());
        if let Err(refusal) = r1 {
            prop_assert_eq!(first.state_hash(), before, "{}", refusal);
            prop_assert!(!refusal.message.is_empty());
            prop_assert!(["unauthorized_signer", "invalid_statement"].contains(&refusal.code()));
        }
    }

    /// The desk's judgement and the append's agree: acceptable exactly when
    /// applied, and lacking only signatures exactly when refused for want
    /// of authority, with the same refusal.
    #[test]
    fn assessing_an_entry_agrees_with_applying_it(step in changed_step()) {
        let base = STORY.with(|s| s.1.clone());
        let (e, v) = entry(base.size, &step);
        let assessed = base.state.assess(&e, &v);
        let applied = base.state.clone().apply(&e, &v);
        match (assessed, applied) {
            (Ok(Assessment::Acceptable), Ok(_)) => {}
            (Ok(Assessment::Lacking { refusal, missing, .. }), Err(applied)) => {
                prop_assert_eq!(&refusal, &applied);
                prop_assert_eq!(refusal.kind, RefusalKind::Unauthorized);
                prop_assert!(!missing.is_empty());
            }
            (Err(assessed), Err(applied)) => prop_assert_eq!(assessed, applied),
            (assessed, applied) => prop_assert!(false, "assess {:?} but apply {:?}", assessed, applied.map(|_| ())),
        }
    }
}

thread_local! {
    static STORY: (Vec<Step>, Folded) = story_state();
}
