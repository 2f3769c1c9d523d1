// The fuzz targets: every decoder an outsider reaches, and the governance
// fold. Shared, word for word, by the cargo-fuzz binaries in
// fuzz/fuzz_targets/ (coverage-guided, nightly) and by
// tests/fuzz_corpus.rs, which replays the corpus and a bounded number of
// mutations of it on stable in every test run. A target panics only when
// it finds a bug: a crash, or a property that must hold for every input.

use std::sync::OnceLock;

use prasasti::governance::demo::{KEY_NAMES, seal_step};
use prasasti::governance::{State, demo};
use prasasti::ledger::entry::{ENTRY_VERSION, Entry};
use prasasti::ledger::statement::{VerifiedEnvelope, canonical_json};
use prasasti::tlog::bundle::ProofBundle;
use prasasti::tlog::checkpoint::Checkpoint;
use prasasti::tlog::note::{self, NoteSigner, NoteVerifier};
use prasasti::tlog::tile::{self, Tile};
use serde_json::{Map, Value};

/// The origin of the ledger the targets check envelopes for.
pub const FUZZ_ORIGIN: &str = "fuzz.prasasti.example/ledger";

/// The names of the targets, as directories of fuzz/corpus.
pub const TARGETS: [&str; 7] = [
    "envelope",
    "entry",
    "note",
    "tile_path",
    "entry_bundle",
    "proof_bundle",
    "governance",
];

/// Runs target `name` on `data`.
pub fn run_target(name: &str, data: &[u8]) {
    match name {
        "envelope" => envelope(data),
        "entry" => entry(data),
        "note" => signed_note(data),
        "tile_path" => tile_path(data),
        "entry_bundle" => entry_bundle(data),
        "proof_bundle" => proof_bundle(data),
        "governance" => governance(data),
        other => panic!("no fuzz target {other}"),
    }
}

/// The log key the note targets check signatures with.
pub fn fuzz_signer() -> &'static NoteSigner {
    static SIGNER: OnceLock<NoteSigner> = OnceLock::new();
    SIGNER.get_or_init(|| NoteSigner::from_seed(FUZZ_ORIGIN, [7; 32]).expect("valid test key"))
}

fn fuzz_verifier() -> NoteVerifier {
    fuzz_signer().verifier()
}

/// A submitted envelope: parsing, the canonical-JSON check, the cheap
/// checks and the signatures. What is accepted is accepted again
/// from its own canonical JSON.
pub fn envelope(data: &[u8]) {
    if let Ok(verified) = VerifiedEnvelope::from_json(data, FUZZ_ORIGIN) {
        let again = canonical_json(verified.envelope());
        let twice = VerifiedEnvelope::from_json(&again, FUZZ_ORIGIN)
            .expect("an accepted envelope is accepted in canonical form");
        assert_eq!(twice.statement_id(), verified.statement_id());
        assert_eq!(twice.signers(), verified.signers());
    }
}

/// A leaf: only the canonical spelling parses, and it writes back the same.
pub fn entry(data: &[u8]) {
    if let Ok(entry) = Entry::parse(data) {
        assert_eq!(entry.to_bytes(), data, "a parsed entry writes back other bytes");
    }
}

/// Signed notes and checkpoints.
pub fn signed_note(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let verifier = fuzz_verifier();
    let _ = note::open(text, std::slice::from_ref(&verifier));
    if let Ok(checkpoint) = Checkpoint::open(text, &verifier) {
        // A checkpoint that verifies is this log's, with its text intact.
        assert_eq!(checkpoint.origin, FUZZ_ORIGIN);
    }
    let _ = Checkpoint::parse(text);
    let _ = NoteVerifier::parse(text);
    let _ = NoteSigner::parse(text);
}

/// Tile paths: only canonical spellings parse, and no index wraps.
pub fn tile_path(data: &[u8]) {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(tile) = Tile::parse_path(path) {
        assert_eq!(tile.path(), path, "a tile path parsed from another spelling");
        let range = tile.node_range();
        assert!(range.start < range.end);
        let _ = tile.exists_in(u64::MAX);
    }
}

/// Entry bundles decode to what encodes back to the same bytes.
pub fn entry_bundle(data: &[u8]) {
    if let Ok(entries) = tile::decode_entry_bundle(data) {
        let encoded = tile::encode_entry_bundle(entries.iter().map(Vec::as_slice))
            .expect("decoded entries fit a bundle");
        assert_eq!(encoded, data);
    }
}

/// Offline proof bundles, parsed and checked against a leaf.
pub fn proof_bundle(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(bundle) = ProofBundle::parse(text) {
        let _ = bundle.verify(b"entry", &fuzz_verifier());
        let _ = bundle.to_text();
    }
}

/// The state after the whole demonstration story, folded once, and the
/// number of its entries.
fn story_state() -> &'static (State, u64) {
    static STATE: OnceLock<(State, u64)> = OnceLock::new();
    STATE.get_or_init(|| {
        let mut state = State::default();
        let story = demo::story(FUZZ_ORIGIN);
        for (index, step) in story.iter().enumerate() {
            let envelope = VerifiedEnvelope::check(seal_step(FUZZ_ORIGIN, step), FUZZ_ORIGIN)
                .expect("the story's envelopes are valid");
            state
                .apply(&at(index as u64, &envelope), &envelope)
                .expect("the story follows the rules");
        }
        (state, story.len() as u64)
    })
}

fn at(index: u64, envelope: &VerifiedEnvelope) -> Entry {
    Entry {
        v: ENTRY_VERSION,
        index,
        prev: prasasti::tlog::hash::Hash::ZERO,
        recorded_at: prasasti::ledger::entry::RecordedAt::parse("2026-11-28T03:00:00.000000Z")
            .expect("a time in the ledger's spelling"),
        envelope: envelope.envelope().clone(),
    }
}

/// A statement from the fuzzer, signed by demo keys it picks, applied to
/// the state after the demonstration story: the fold never panics, and a
/// refusal leaves the state exactly as it was.
///
/// The first byte picks the signers (bit i: the i-th demo key, of the
/// first eight), the second a statement type used when the statement names
/// none; the rest is the statement's JSON.
pub fn governance(data: &[u8]) {
    let [signers, kind, json @ ..] = data else {
        return;
    };
    let Ok(Value::Object(mut statement)) = serde_json::from_slice::<Value>(json) else {
        return;
    };
    statement.insert("ledger".into(), FUZZ_ORIGIN.into());
    let types = prasasti::governance::template::types();
    statement
        .entry("type")
        .or_insert_with(|| types[usize::from(*kind) % types.len()].into());
    statement.entry("id").or_insert_with(|| "fuzz".into());
    let names: Vec<&'static str> = KEY_NAMES
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| signers & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect();
    let step = demo::Step {
        statement: Map::clone(&statement),
        signers: if names.is_empty() { vec![KEY_NAMES[0]] } else { names },
    };
    let Ok(envelope) = VerifiedEnvelope::check(seal_step(FUZZ_ORIGIN, &step), FUZZ_ORIGIN) else {
        return;
    };
    let (before, index) = story_state();
    let mut state = before.clone();
    if state.apply(&at(*index, &envelope), &envelope).is_err() {
        assert!(&state == before, "a refused statement changed the state");
    }
}
