//! What anonymous `GET /api/v1/state` requests cost: a ledger of 20,000
//! governed entries (SQLite) served in this process, then 32 concurrent
//! requests for the current state hash and 32 for 32 older sizes, while
//! `/healthz` is polled every 10 ms. Prints the process's CPU time (user +
//! system, from /proc/self/stat, so Linux only) for each burst and the
//! slowest `/healthz` answer.
//!
//!     cargo bench --bench state
//!     PRASASTI_STATE_ENTRIES=50000 cargo bench --bench state

mod common;

use common::cpu_time;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use prasasti::governance::Governance;
use prasasti::ledger::statement::{VerifiedEnvelope, keyid_of, seal};
use prasasti::server::AppState;
use prasasti::store::Store;
use prasasti::tlog::note::NoteSigner;
use serde_json::json;

const ORIGIN: &str = "state.prasasti.example/ledger";
const CLIENTS: u64 = 32;

/// Polls `/healthz` until stopped; returns the slowest answer.
fn watch_health(base: String, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<Duration> {
    tokio::spawn(async move {
        let client = prasasti::ledger::http::client().expect("HTTP client");
        let mut slowest = Duration::ZERO;
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            let response = client
                .get(format!("{base}/healthz"))
                .send()
                .await
                .expect("healthz");
            assert_eq!(response.status().as_u16(), 200);
            slowest = slowest.max(t.elapsed());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        slowest
    })
}

async fn burst(base: &str, what: &str, paths: Vec<String>) {
    let stop = Arc::new(AtomicBool::new(false));
    let health = watch_health(base.to_owned(), stop.clone());
    let cpu = cpu_time();
    let started = Instant::now();
    let client = prasasti::ledger::http::client().expect("HTTP client");
    let tasks: Vec<_> = paths
        .into_iter()
        .map(|path| {
            let client = client.clone();
            let url = format!("{base}{path}");
            tokio::spawn(async move { client.get(url).send().await.expect("state").status() })
        })
        .collect();
    let (mut ok, mut busy) = (0, 0);
    for t in tasks {
        match t.await.expect("request").as_u16() {
            200 => ok += 1,
            503 => busy += 1,
            other => panic!("HTTP {other}"),
        }
    }
    let elapsed = started.elapsed();
    let used = cpu_time().saturating_sub(cpu);
    stop.store(true, Ordering::Relaxed);
    let slowest = health.await.expect("health");
    println!(
        "{what}: {ok} answered, {busy} told to come back (503) in {:.0} ms; CPU {:.2} s in all; slowest /healthz {:.1} ms",
        elapsed.as_secs_f64() * 1e3,
        used.as_secs_f64(),
        slowest.as_secs_f64() * 1e3
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let entries: u64 = std::env::var("PRASASTI_STATE_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("state.db").display());
        let signer = NoteSigner::from_seed(ORIGIN, [7; 32]).expect("key");
        let store = Store::connect(&url).await.expect("store");
        let (ledger, governance) = Governance::open_ledger(store, signer)
            .await
            .expect("ledger");
        let official = SigningKey::from_bytes(&[3; 32]);
        let genesis = json!({"type": "ledger.genesis", "id": "genesis", "ledger": ORIGIN,
            "government": {"name": "Pemerintah Kabupaten Uji", "region_code": "99.03", "timezone": "Asia/Jakarta"},
            "registrars": {"keys": [keyid_of(&official.verifying_key())], "threshold": 1}});
        let serde_json::Value::Object(genesis) = genesis else { unreachable!() };
        let mut genesis = seal(&genesis, &official);
        ledger.consent_to_genesis(&mut genesis).expect("consent");
        ledger
            .submit(VerifiedEnvelope::check(genesis, ORIGIN).expect("genesis"))
            .await
            .expect("genesis appended");
        let started = Instant::now();
        for chunk in (1..entries).collect::<Vec<_>>().chunks(512) {
            let tasks: Vec<_> = chunk
                .iter()
                .map(|i| {
                    let statement = json!({"type": "document.register", "id": format!("d-{i}"), "ledger": ORIGIN,
                        "document": {"id": format!("laporan-{i}"), "kind": "Other", "number": format!("LK/{i}/2026"),
                                     "title": "Laporan kemajuan", "date": "2026-11-01", "sha256": "ab".repeat(32)}});
                    let serde_json::Value::Object(map) = statement else { unreachable!() };
                    let envelope = VerifiedEnvelope::check(seal(&map, &official), ORIGIN).expect("valid");
                    let ledger = ledger.clone();
                    tokio::spawn(async move { ledger.submit(envelope).await.expect("appended") })
                })
                .collect();
            for t in tasks {
                t.await.expect("append");
            }
        }
        println!(
            "{entries} governed entries appended in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(prasasti::serve(
            listener,
            AppState::new(ledger, governance),
            std::future::pending(),
        ));
        burst(
            &base,
            "32 requests for the current state",
            (0..CLIENTS).map(|_| "/api/v1/state".to_owned()).collect(),
        )
        .await;
        burst(
            &base,
            "32 requests for the current state again (remembered)",
            (0..CLIENTS).map(|_| "/api/v1/state".to_owned()).collect(),
        )
        .await;
        burst(
            &base,
            "32 requests for 32 older sizes",
            (0..CLIENTS)
                .map(|i| format!("/api/v1/state?tree_size={}", 1 + i * (entries - 2) / (CLIENTS - 1)))
                .collect(),
        )
        .await;
    });
}
