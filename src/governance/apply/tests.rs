//! The rules as a pure fold, in milliseconds and without a database: the
//! demonstration story folded in memory, then one statement at a time. The
//! HTTP tests (tests/governance.rs) check the same rules' status codes on
//! both databases.

use serde_json::{Value, json};

use crate::governance::State;
use crate::governance::demo::{self, Step, demo_key, seal_step};
use crate::ledger::entry::{ENTRY_VERSION, Entry, RecordedAt};
use crate::ledger::rules::{Refusal, RefusalKind};
use crate::ledger::statement::{VerifiedEnvelope, keyid_of};
use crate::tlog::hash::Hash;

const ORIGIN: &str = "unit.prasasti.example/ledger";

/// The state after the whole story, and the next index.
fn story() -> (State, u64) {
    let mut state = State::default();
    let steps = demo::story(ORIGIN);
    for (index, step) in steps.iter().enumerate() {
        apply(&mut state, index as u64, step).expect("the story follows the rules");
    }
    (state, steps.len() as u64)
}

fn apply(state: &mut State, index: u64, step: &Step) -> Result<(), Refusal> {
    let envelope = VerifiedEnvelope::check(seal_step(ORIGIN, step), ORIGIN).expect("valid");
    let entry = Entry {
        v: ENTRY_VERSION,
        index,
        prev: Hash::ZERO,
        recorded_at: RecordedAt::parse("2026-11-28T03:00:00.000000Z").expect("time"),
        envelope: envelope.envelope().clone(),
    };
    state.apply(&entry, &envelope).map(|_| ())
}

fn step(kind: &str, id: &str, fields: Value, signers: &[&'static str]) -> Step {
    let Value::Object(mut statement) = fields else {
        panic!("fields are an object")
    };
    statement.insert("type".into(), kind.into());
    statement.insert("id".into(), id.into());
    statement.insert("ledger".into(), ORIGIN.into());
    Step {
        statement,
        signers: signers.to_vec(),
    }
}

fn key(name: &str) -> String {
    keyid_of(&demo_key(ORIGIN, name).verifying_key())
}

/// Applies statements in order; the last must be refused with `kind`, and
/// leave the state exactly as it was. Returns the refusal's message.
fn refused(steps: &[Step], kind: RefusalKind) -> String {
    let (mut state, mut index) = story();
    let (last, before) = steps.split_last().expect("a statement");
    for s in before {
        apply(&mut state, index, s).expect("accepted");
        index += 1;
    }
    let snapshot = state.clone();
    let refusal = apply(&mut state, index, last).expect_err("refused");
    assert_eq!(refusal.kind, kind, "{}", refusal.message);
    assert!(state == snapshot, "a refusal changed the state");
    refusal.message
}

const REGISTRARS: [&str; 2] = ["registrar-setda", "registrar-bkpsdm"];

#[test]
fn entry_zero_is_the_genesis_and_only_it() {
    let mut state = State::default();
    let office = step(
        "office.establish",
        "o",
        json!({"office": {"id": "x", "name": "X", "unit": "X", "role": "other"}}),
        &REGISTRARS,
    );
    let refusal = apply(&mut state, 0, &office).expect_err("refused");
    assert!(refusal.message.contains("genesis"), "{}", refusal.message);
    assert!(state == State::default());
}

#[test]
fn an_appointed_official_needs_a_nip_in_its_one_spelling() {
    let office = step(
        "office.establish",
        "u1",
        json!({"office": {"id": "dinkes", "name": "Kepala Dinas Kesehatan", "unit": "Dinas Kesehatan", "role": "opd_head"}}),
        &REGISTRARS,
    );
    let mandate = |nip: Option<&str>| {
        let mut holder = json!({"name": "dr. Ratna"});
        if let Some(nip) = nip {
            holder["nip"] = nip.into();
        }
        step(
            "mandate.begin",
            "u2",
            json!({"mandate": {"id": "dinkes-2026", "office": "dinkes", "holder": holder, "kind": "definitive",
                "from": "2026-01-02", "basis": {"kind": "sk_bupati", "number": "821/2026"}}, "keys": [key("intruder")]}),
            &["registrar-setda", "registrar-bkpsdm", "intruder"],
        )
    };
    let message = refused(&[office.clone(), mandate(None)], RefusalKind::Invalid);
    assert!(message.contains("mandate.holder.nip"), "{message}");
    let message = refused(
        &[office, mandate(Some("19800117 200501 2 006"))],
        RefusalKind::Invalid,
    );
    assert!(message.contains("18-digit"), "{message}");
}

#[test]
fn one_person_signs_for_one_of_two_duties() {
    let end = step(
        "mandate.end",
        "u3",
        json!({"mandate": "bupati-2025", "at": "2026-11-01", "reason": "Berhalangan sementara."}),
        &REGISTRARS,
    );
    let plh = step(
        "mandate.begin",
        "u4",
        json!({"mandate": {"id": "bupati-2026-plh", "office": "bupati",
            "holder": {"name": "Drs. Joko Santoso, M.M.", "nip": "196805121990031005"},
            "kind": "daily", "from": "2026-11-01", "basis": {"kind": "surat_perintah", "number": "131/2026"}},
            "keys": [key("joko-2")]}),
        &["registrar-setda", "registrar-bkpsdm", "joko-2"],
    );
    let discontinue = step(
        "commitment.discontinue",
        "u5",
        json!({"commitment": "literasi-177-desa", "justification": "Anggaran dialihkan.",
            "basis": {"kind": "ministerial_approval", "number": "100/2026", "sha256": "cd".repeat(32)}}),
        &["joko-2"],
    );
    let message = refused(&[end, plh, discontinue], RefusalKind::Unauthorized);
    assert!(message.contains("different person"), "{message}");
}

#[test]
fn an_interim_head_cites_the_ministers_approval_by_its_hash() {
    let end = step(
        "mandate.end",
        "u6",
        json!({"mandate": "bupati-2025", "at": "2026-11-01", "reason": "Berhalangan tetap."}),
        &REGISTRARS,
    );
    let plt = step(
        "mandate.begin",
        "u7",
        json!({"mandate": {"id": "bupati-2026-plt", "office": "bupati", "holder": {"name": "Agus Prasetyo, S.E.", "person": "agus"},
            "kind": "acting", "from": "2026-11-01", "basis": {"kind": "keputusan_gubernur", "number": "9/2026"}}, "keys": [key("agus")]}),
        &["registrar-setda", "registrar-bkpsdm", "agus"],
    );
    let discontinue = step(
        "commitment.discontinue",
        "u8",
        json!({"commitment": "literasi-177-desa", "justification": "Anggaran dialihkan.",
            "basis": {"kind": "ministerial_approval", "number": "100/2026"}}),
        &["agus", "joko-2"],
    );
    let message = refused(&[end, plt, discontinue], RefusalKind::Unauthorized);
    assert!(message.contains("basis.sha256"), "{message}");
}

#[test]
fn registrars_keep_enough_keys_to_act() {
    let revoke = |name: &'static str, id: &str| {
        step(
            "key.revoke",
            id,
            json!({"key": key(name), "reason": "Pensiun."}),
            &[name],
        )
    };
    let message = refused(
        &[
            revoke("registrar-diskominfo", "u9"),
            revoke("registrar-bkpsdm", "u10"),
        ],
        RefusalKind::Invalid,
    );
    assert!(message.contains("threshold of 2"), "{message}");
}

#[test]
fn nobody_approves_their_own_report() {
    let report = step(
        "milestone.report",
        "u11",
        json!({"milestone": "sensor-longsor-install", "status": "met", "date_met": "2026-11-20",
            "progress": {"physical_pct": 100, "financial_pct": 95}}),
        &["wahyu", "siti"],
    );
    let (_, next) = story();
    let approve = step(
        "milestone.approve",
        "u12",
        json!({"milestone": "sensor-longsor-install", "report": next, "decision": "approve"}),
        &["siti"],
    );
    let message = refused(&[report, approve], RefusalKind::Unauthorized);
    assert!(message.contains("separation of duties"), "{message}");
}

#[test]
fn every_statement_of_the_story_reads_as_a_sentence_in_both_languages() {
    let (state, _) = story();
    let mut kinds = std::collections::BTreeSet::new();
    for step in demo::story(ORIGIN) {
        let kind = step.statement["type"].as_str().expect("type").to_owned();
        let words = state.words_of(&step.statement);
        for sentence in [&words.id, &words.en] {
            assert!(!sentence.is_empty(), "{kind}");
            assert!(!sentence.contains(&kind), "{kind}: {sentence}");
        }
        assert_ne!(words.id, words.en, "{kind}");
        kinds.insert(kind);
    }
    assert!(kinds.len() >= 18, "the story covers most types: {kinds:?}");
    let reaffirm = demo::story(ORIGIN)
        .into_iter()
        .find(|s| s.statement["type"] == "commitment.reaffirm")
        .expect("a reaffirmation");
    let words = state.words_of(&reaffirm.statement);
    assert!(
        words
            .id
            .starts_with("Bupati Karanganyar menegaskan kembali komitmen «"),
        "{}",
        words.id
    );
    let time = chrono::DateTime::parse_from_rfc3339("2026-11-28T02:25:26.123456Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    assert_eq!(state.local_time(time), "2026-11-28 09:25 WIB");
    assert_eq!(
        crate::governance::views::rupiah("1250000000"),
        "Rp 1.250.000.000"
    );
    assert_eq!(crate::governance::views::rupiah("500"), "Rp 500");
}

#[test]
fn a_long_audit_season_keeps_views_small_and_pages_every_note() {
    use crate::governance::views::{Paging, RECENT_NOTES};
    let (mut state, mut index) = story();
    let before = state
        .programme_view("satu-data", chrono::Utc::now())
        .expect("programme");
    let notes_before = before.audit_notes_total;
    let first = index;
    let n = 3 * RECENT_NOTES as u64;
    for i in 0..n {
        let note = step(
            "audit.note",
            &format!("audit:season-{i}"),
            json!({"subject": {"kind": "commitment", "id": "portal-satu-data"}, "finding": format!("Temuan {i}"), "severity": "low"}),
            &["siti"],
        );
        apply(&mut state, index, &note).expect("accepted");
        index += 1;
    }
    // The programme itself did not change: only its histories grew.
    assert_eq!(state.programmes.get("satu-data"), Some(&before.programme));
    let view = state
        .programme_view("satu-data", chrono::Utc::now())
        .expect("programme");
    assert_eq!(view.audit_notes.len(), RECENT_NOTES);
    assert_eq!(view.audit_notes_total, notes_before + n as usize);
    assert_eq!(
        view.audit_notes[0].recorded.entry,
        index - 1,
        "newest first"
    );
    assert_eq!(view.entries[0], index - 1);
    assert_eq!(view.entries_total, before.entries_total + n as usize);
    let commitment = state
        .commitment_view("portal-satu-data", chrono::Utc::now())
        .expect("commitment");
    assert_eq!(commitment.audit_notes.len(), RECENT_NOTES);

    // Page by page, newest first, every note exactly once.
    let mut seen = Vec::new();
    for page in 1.. {
        let paging = Paging {
            page: Some(page),
            per_page: Some(7),
        };
        let notes = state
            .commitment_notes("portal-satu-data", paging)
            .expect("commitment");
        if notes.items.is_empty() {
            break;
        }
        seen.extend(notes.items.iter().map(|n| n.recorded.entry));
    }
    assert_eq!(seen.len(), notes_before + n as usize);
    assert!(seen.windows(2).all(|w| w[0] > w[1]));
    assert_eq!(seen[..n as usize], (first..index).rev().collect::<Vec<_>>());
    assert!(
        state
            .programme_notes("nothing", Paging::default())
            .is_none()
    );
}

/// The state hash as docs/GOVERNANCE.md §8 defines it, computed from the
/// state's documented JSON rather than from its objects' digests.
fn state_hash_by_the_book(state: &State) -> Hash {
    use crate::governance::state::KINDS;
    use crate::ledger::statement::canonical_json;
    use crate::tlog::hash::sha256;
    let json = serde_json::to_value(state).expect("json");
    let collections = [
        "charter",
        "offices",
        "mandates",
        "keys",
        "documents",
        "programmes",
        "commitments",
        "milestones",
        "handovers",
        "audit_notes",
    ];
    let mut lines = String::new();
    for (kind, collection) in KINDS.iter().zip(collections) {
        let objects: Vec<(String, &Value)> = match &json[collection] {
            Value::Null => Vec::new(),
            Value::Object(map) if *kind != "charter" => {
                map.iter().map(|(id, o)| (id.clone(), o)).collect()
            }
            charter => vec![(String::new(), charter)],
        };
        for (id, object) in objects {
            let digest = sha256(&canonical_json(object)).to_hex();
            lines.push_str(&format!("{kind} {id} {digest}\n"));
        }
    }
    sha256(lines.as_bytes())
}

#[test]
fn the_state_hash_is_one_line_per_object_as_documented() {
    let (state, _) = story();
    assert!(state.digests.stale() > 0, "a replay records no digest");
    assert_eq!(state.hash(), state_hash_by_the_book(&state));
    let mut settled = state.clone();
    settled.settle_digests();
    assert_eq!(settled.digests.stale(), 0);
    assert_eq!(settled.hash(), state_hash_by_the_book(&state));
}

#[test]
fn recorded_digests_stand_in_for_objects_until_an_entry_changes_them() {
    use crate::governance::digests::state_hash;
    let (mut state, index) = story();
    state.settle_digests();
    // A recorded digest is used as it is: one made wrong on purpose shows
    // in the hash, and the from-scratch hash ignores it.
    let mut wrong = state.clone();
    wrong
        .digests
        .record("commitment", "portal-satu-data", b"not the object");
    assert_ne!(state_hash(&wrong, false), state_hash(&wrong, true));
    assert_eq!(state_hash(&wrong, true), state.hash());

    // An entry marks what it changed as stale, and the hash serialises it
    // again; the untouched objects keep their digests.
    let note = step(
        "audit.note",
        "audit:stale",
        json!({"subject": {"kind": "commitment", "id": "portal-satu-data"}, "finding": "Temuan", "severity": "low"}),
        &["siti"],
    );
    apply(&mut wrong, index, &note).expect("accepted");
    apply(&mut state, index, &note).expect("accepted");
    assert_eq!(state.digests.stale(), 1, "one new audit note");
    assert_eq!(state.hash(), state_hash_by_the_book(&state));
    assert_ne!(
        state_hash(&wrong, false),
        state.hash(),
        "untouched: still the wrong digest"
    );
    state.settle_digests();
    assert_eq!(state.hash(), state_hash_by_the_book(&state));
}
