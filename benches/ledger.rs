//! Micro-benchmarks of the hot paths: checking an envelope, hashing and
//! proving, and appending through the ledger on SQLite.
//!
//!     cargo bench --bench ledger

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use prasasti::ledger::Ledger;
use prasasti::ledger::statement::{VerifiedEnvelope, seal};
use prasasti::store::Store;
use prasasti::tlog::hash::{CompactRange, Hash, NodeId, leaf_hash};
use prasasti::tlog::note::NoteSigner;
use prasasti::tlog::proof::{assemble, inclusion_ranges, verify_inclusion};
use serde_json::json;

const ORIGIN: &str = "bench.prasasti.example/ledger";

fn statement(i: usize) -> serde_json::Map<String, serde_json::Value> {
    let serde_json::Value::Object(map) = json!({"type": "bench.note", "id": format!("b-{i}"), "ledger": ORIGIN,
        "title": "Laporan kemajuan triwulan", "amount": "1250000000"})
    else {
        unreachable!()
    };
    map
}

fn envelopes(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[5; 32]);
    let json = serde_json::to_vec(&seal(&statement(1), &key)).unwrap();
    let mut group = c.benchmark_group("envelope");
    group.throughput(Throughput::Elements(1));
    group.bench_function("check (parse, canonical, signature)", |b| {
        b.iter(|| VerifiedEnvelope::from_json(black_box(&json), ORIGIN).unwrap())
    });
    group.bench_function("seal (canonicalize and sign)", |b| {
        b.iter(|| seal(black_box(&statement(1)), &key))
    });
    group.finish();

    // The statements of the demonstration ledger, each written canonically:
    // the one-pass writer against the general RFC 8785 canonicaliser.
    let story: Vec<_> = prasasti::governance::demo::story(ORIGIN)
        .into_iter()
        .map(|step| step.statement)
        .collect();
    let mut group = c.benchmark_group("canonical JSON");
    group.throughput(Throughput::Elements(story.len() as u64));
    group.bench_function("the demonstration's statements, one pass", |b| {
        b.iter(|| {
            for s in &story {
                black_box(prasasti::ledger::jcs::map_to_vec(black_box(s)));
            }
        })
    });
    group.bench_function(
        "the demonstration's statements, general canonicaliser",
        |b| {
            b.iter(|| {
                for s in &story {
                    black_box(serde_json_canonicalizer::to_vec(black_box(s)).unwrap());
                }
            })
        },
    );
    group.finish();
}

fn proofs(c: &mut Criterion) {
    let n: u64 = 1 << 16;
    let mut range = CompactRange::default();
    let mut nodes: HashMap<NodeId, Hash> = HashMap::new();
    for i in 0..n {
        nodes.extend(range.push(leaf_hash(&i.to_be_bytes())));
    }
    let root = range.root();
    let leaf = leaf_hash(&12345u64.to_be_bytes());
    let proof = assemble(&inclusion_ranges(12345, n).unwrap(), &nodes).unwrap();
    c.bench_function("inclusion proof verify, 65,536 leaves", |b| {
        b.iter(|| verify_inclusion(12345, n, black_box(&leaf), &proof, &root).unwrap())
    });
    c.bench_function("inclusion proof assemble, 65,536 leaves", |b| {
        b.iter(|| assemble(&inclusion_ranges(black_box(12345), n).unwrap(), &nodes).unwrap())
    });
}

fn appends(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let key = SigningKey::from_bytes(&[5; 32]);
    let ledger = rt.block_on(async {
        let store = Store::connect(&url).await.unwrap();
        let ledger = Ledger::open(store, NoteSigner::from_seed(ORIGIN, [6; 32]).unwrap())
            .await
            .unwrap();
        // Entry 0 carries the operator's consent.
        let mut first = seal(&statement(0), &key);
        ledger.consent_to_genesis(&mut first).unwrap();
        ledger
            .submit(VerifiedEnvelope::check(first, ORIGIN).unwrap())
            .await
            .unwrap();
        ledger
    });
    let mut next = 1usize;
    let mut group = c.benchmark_group("ledger");
    group.sample_size(10);
    group.throughput(Throughput::Elements(256));
    group.bench_function("append 256 concurrent submissions (SQLite)", |b| {
        b.iter_batched(
            || {
                let batch: Vec<_> = (next..next + 256)
                    .map(|i| VerifiedEnvelope::check(seal(&statement(i), &key), ORIGIN).unwrap())
                    .collect();
                next += 256;
                batch
            },
            |batch| {
                rt.block_on(async {
                    let tasks: Vec<_> = batch
                        .into_iter()
                        .map(|e| {
                            let ledger = ledger.clone();
                            tokio::spawn(async move { ledger.submit(e).await })
                        })
                        .collect();
                    for t in tasks {
                        t.await.unwrap().unwrap();
                    }
                })
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, envelopes, proofs, appends);
criterion_main!(benches);
