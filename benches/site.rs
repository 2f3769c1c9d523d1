//! Page times of the transparency site on the demonstration ledger, then on
//! the same ledger grown to 100,000 entries (SQLite, release build).
//!
//!     cargo bench --bench site
//!     PRASASTI_SITE_ENTRIES=20000 cargo bench --bench site

use std::time::{Duration, Instant};

use prasasti::governance::Governance;
use prasasti::governance::demo::{self, Step, seal_step};
use prasasti::ledger::statement::VerifiedEnvelope;
use prasasti::server::AppState;
use prasasti::store::Store;
use prasasti::tlog::note::NoteSigner;
use rayon::prelude::*;
use serde_json::json;

const ORIGIN: &str = "site.prasasti.example/ledger";
const PAGES: [&str; 9] = [
    "/",
    "/program",
    "/program?pillar=governance&q=data",
    "/program/satu-data",
    "/kesinambungan",
    "/ledger",
    "/ledger/42",
    "/verifikasi",
    "/feed.atom",
];

async fn measure(base: &str, label: &str) {
    let client = prasasti::ledger::http::client().expect("client");
    for page in PAGES {
        let mut times = Vec::new();
        for _ in 0..30 {
            let started = Instant::now();
            let response = client
                .get(format!("{base}{page}"))
                .send()
                .await
                .expect("get");
            assert_eq!(response.status().as_u16(), 200, "{page}");
            response.bytes().await.expect("body");
            times.push(started.elapsed());
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{label}: {page:40} median {:6.2} ms, slowest {:6.2} ms",
            ms(times[times.len() / 2]),
            ms(times[times.len() - 1])
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let extra: usize = std::env::var("PRASASTI_SITE_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("site.db").display());
        let store = Store::connect(&url).await.expect("store");
        let signer = NoteSigner::from_seed(ORIGIN, [8; 32]).expect("key");
        let (ledger, governance) = Governance::open_ledger(store, signer).await.expect("ledger");
        demo::write(&ledger, &Default::default()).await.expect("demo");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(prasasti::serve(
            listener,
            AppState::new(ledger.clone(), governance),
            std::future::pending(),
        ));
        measure(&base, "demo ledger (90 entries)").await;

        // Grow the ledger: the planning office registers documents.
        let started = Instant::now();
        let envelopes: Vec<VerifiedEnvelope> = (0..extra)
            .into_par_iter()
            .map(|i| {
                let serde_json::Value::Object(statement) = json!({
                    "type": "document.register", "id": format!("bulk-{i}"), "ledger": ORIGIN,
                    "document": {"id": format!("laporan-{i}"), "kind": "Other", "number": format!("LK/{i}"),
                                 "title": "Laporan bulanan OPD", "date": "2026-11-01", "sha256": "ab".repeat(32)}})
                else {
                    unreachable!()
                };
                let step = Step { statement, signers: vec!["dewi"] };
                VerifiedEnvelope::check(seal_step(ORIGIN, &step), ORIGIN).expect("valid")
            })
            .collect();
        let mut tasks = tokio::task::JoinSet::new();
        for chunk in envelopes.chunks(extra.div_ceil(256).max(1)) {
            let (ledger, chunk) = (ledger.clone(), chunk.to_vec());
            tasks.spawn(async move {
                for envelope in chunk {
                    ledger.submit(envelope).await.expect("append");
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("appender");
        }
        println!("appended {extra} entries in {:.1} s", started.elapsed().as_secs_f64());
        measure(&base, &format!("grown ledger ({} entries)", extra + 90)).await;
    });
}
