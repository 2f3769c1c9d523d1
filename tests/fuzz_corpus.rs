//! The fuzz targets on stable, in every test run: each target replays its
//! corpus (fuzz/corpus/<target>/, seeded from the tests and grown by
//! `cargo fuzz`) and a fixed number of deterministic mutations of it. The
//! coverage-guided runs are `cargo +nightly fuzz run <target>` (README).
//!
//! `PRASASTI_UPDATE_SNAPSHOTS=1` rewrites the seed files from the formats
//! the ledger itself produces.

include!("../fuzz/targets.rs");

use std::path::{Path, PathBuf};

use crate::common::*;
use prasasti::ledger::statement::seal;

/// Mutations of the corpus each target runs on stable (the governance
/// target signs every input, so it runs fewer).
const MUTATIONS: usize = 20_000;
const GOVERNANCE_MUTATIONS: usize = 2_000;

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

/// The seed files: valid inputs of every format, as the ledger makes them.
fn seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let signer = fuzz_signer();
    let statement = {
        let mut s = document("seed");
        s.insert("ledger".into(), FUZZ_ORIGIN.into());
        s
    };
    let mut envelope = seal(&statement, &official(1));
    prasasti::ledger::statement::cosign(&mut envelope, &official(2)).unwrap();
    let entry = Entry {
        v: ENTRY_VERSION,
        index: 7,
        prev: prasasti::tlog::hash::Hash::from_hex(&"ab".repeat(32)).unwrap(),
        recorded_at: prasasti::ledger::entry::RecordedAt::parse("2026-11-28T03:00:00.123456Z")
            .unwrap(),
        envelope: envelope.clone(),
    };
    let checkpoint = Checkpoint {
        origin: FUZZ_ORIGIN.into(),
        size: 8,
        root: prasasti::tlog::hash::sha256(b"root"),
    };
    let note = checkpoint.sign(signer).unwrap();
    let bundle = ProofBundle {
        extra: None,
        index: 7,
        hashes: vec![
            prasasti::tlog::hash::sha256(b"a"),
            prasasti::tlog::hash::sha256(b"b"),
        ],
        checkpoint: note.clone(),
    };
    let entries = [entry.to_bytes(), b"{}".to_vec()];
    let mut seeds = vec![
        (
            "envelope",
            "document",
            serde_json::to_vec(&envelope).unwrap(),
        ),
        ("entry", "entry", entry.to_bytes()),
        ("note", "checkpoint", note.clone().into_bytes()),
        (
            "note",
            "vkey",
            signer.verifier().to_vkey_string().into_bytes(),
        ),
        ("tile_path", "hashes", b"0/x001/234.p/5".to_vec()),
        ("tile_path", "entries", b"entries/000".to_vec()),
        (
            "tile_path",
            "level",
            b"2/x072/x057/x594/x037/x927/934".to_vec(),
        ),
        (
            "entry_bundle",
            "two",
            tile::encode_entry_bundle(entries.iter().map(Vec::as_slice)).unwrap(),
        ),
        ("proof_bundle", "bundle", bundle.to_text().into_bytes()),
    ];
    // The governance target: every statement of the story, signed by the
    // first demo keys (byte 0) with the type the statement names (byte 1).
    for (i, step) in demo::story(FUZZ_ORIGIN).iter().enumerate().step_by(9) {
        let mut input = vec![0b0000_0111, 0];
        input.extend(serde_json::to_vec(&step.statement).unwrap());
        let name: &'static str = Box::leak(format!("story-{i:03}").into_boxed_str());
        seeds.push(("governance", name, input));
    }
    seeds
}

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(corpus_dir(target))
        .unwrap_or_else(|e| panic!("fuzz/corpus/{target}: {e}"))
        .map(|f| {
            let path = f.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    inputs.sort();
    inputs.into_iter().map(|(_, b)| b).collect()
}

/// xorshift64*: the same mutations on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four random edits: flip a bit, set a byte to an interesting
/// value, insert, delete, duplicate a slice, truncate, or splice in a slice
/// of another input.
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    const INTERESTING: [u8; 12] = [
        0, 1, b'"', b'\\', b'{', b'}', b'\n', b'/', b'x', 0x7f, 0xff, b'9',
    ];
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(7) {
            0 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] ^= 1 << rng.below(8);
            }
            1 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => out.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            3 if at < out.len() => {
                let end = (at + 1 + rng.below(8)).min(out.len());
                out.drain(at..end);
            }
            4 if at < out.len() => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                let slice = out[at..end].to_vec();
                out.splice(at..at, slice);
            }
            5 => out.truncate(at),
            _ if !other.is_empty() => {
                let start = rng.below(other.len());
                let end = (start + 1 + rng.below(32)).min(other.len());
                out.splice(at..at, other[start..end].iter().copied());
            }
            _ => {}
        }
    }
    out
}

#[test]
fn the_seed_corpus_is_what_the_ledger_makes_today() {
    let update = std::env::var_os("PRASASTI_UPDATE_SNAPSHOTS").is_some();
    for (target, name, bytes) in seeds() {
        let path = corpus_dir(target).join(format!("seed-{name}"));
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let pinned = std::fs::read(&path)
            .unwrap_or_else(|_| panic!("{}: run with PRASASTI_UPDATE_SNAPSHOTS=1", path.display()));
        assert_eq!(
            pinned,
            bytes,
            "{}: the format changed; review and rerun with PRASASTI_UPDATE_SNAPSHOTS=1",
            path.display()
        );
    }
}

#[test]
fn every_fuzz_target_survives_its_corpus_and_mutations_of_it() {
    for target in TARGETS {
        let inputs = corpus(target);
        assert!(!inputs.is_empty(), "fuzz/corpus/{target} is empty");
        for input in &inputs {
            run_target(target, input);
        }
        let rounds = if target == "governance" {
            GOVERNANCE_MUTATIONS
        } else {
            MUTATIONS
        };
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ target.len() as u64);
        for _ in 0..rounds {
            let input = &inputs[rng.below(inputs.len())];
            let other = &inputs[rng.below(inputs.len())];
            let mutated = mutate(&mut rng, input, other);
            let caught = std::panic::catch_unwind(|| run_target(target, &mutated));
            if caught.is_err() {
                panic!(
                    "fuzz target {target} failed on input (base64) {}",
                    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &mutated)
                );
            }
        }
    }
}
