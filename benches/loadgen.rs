//! Load generator: appends through the HTTP API with 32 and with 256
//! concurrent clients on SQLite and (when PRASASTI_TEST_POSTGRES_URL is
//! set) PostgreSQL, and measures ingest rate, submit-to-checkpoint latency
//! and full-verify rate. Each rate is also given as a multiple of this
//! machine's own `verify_strict` rate on one core, measured in the same
//! run, so that numbers from machines of different speed compare.
//!
//!     cargo bench --bench loadgen                  # 20,000 entries a run
//!     PRASASTI_LOADGEN_ENTRIES=100000 PRASASTI_LOADGEN_CLIENTS=256 cargo bench --bench loadgen
//!
//! Every answer carries a signed checkpoint covering the entry, so the time
//! of a submission is the time from submit to a covering checkpoint.
//!
//! `PRASASTI_LOADGEN_HISTORY=N` measures instead whether cost grows with
//! history: on the demonstration ledger, the Inspektorat files N audit notes
//! about one commitment (64 clients), and after each tenth the rate of that
//! tenth and the time and size of the programme's API answer and page are
//! printed.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use prasasti::governance::{Governance, audit};
use prasasti::ledger::statement::{VerifiedEnvelope, keyid_of, seal};
use prasasti::ledger::verify::{self, Source};
use prasasti::server::AppState;
use prasasti::store::Store;
use prasasti::tlog::note::NoteSigner;
use serde_json::json;

/// The allocator the `prasasti` binary uses (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ORIGIN: &str = "loadgen.prasasti.example/ledger";

/// `verify_strict` checks per second on one core, measured now.
fn crypto_rate() -> f64 {
    use ed25519_dalek::Signer as _;
    let key = SigningKey::from_bytes(&[9; 32]);
    let message = [7u8; 300];
    let signature = key.sign(&message);
    let public = key.verifying_key();
    let n = 3000;
    let started = Instant::now();
    for _ in 0..n {
        public
            .verify_strict(std::hint::black_box(&message), &signature)
            .expect("valid");
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// What posting a set of bodies took: each post's latency (sorted), the
/// time from the first post to the last answer, and the CPU time of the
/// process (server and clients) in that time.
struct Posted {
    latencies: Vec<Duration>,
    elapsed: Duration,
    cpu: Duration,
}

impl Posted {
    /// Posts per second.
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// CPU time a post, in µs.
    fn cpu_micros(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.latencies.len() as f64
    }
}

/// Posts every body once from `clients` concurrent clients, each expecting
/// 201 and reading the whole answer.
///
/// Each client holds one keep-alive HTTP/1.1 connection of its own and
/// sends the bodies as they are, so the load generator costs as little CPU
/// as a client can (it shares the machine with the server it measures):
/// no connection pool, no lock shared between clients. Every client
/// connects before the clock starts, so a connection that is slow to open
/// (a SYN retried after a second) is not measured.
async fn post_all(url: &str, bodies: Arc<Vec<Vec<u8>>>, clients: usize) -> Posted {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    let uri: hyper::Uri = url.parse().expect("URL");
    let authority = uri.authority().expect("host and port").clone();
    let next = Arc::new(AtomicUsize::new(0));
    let connected = Arc::new(tokio::sync::Barrier::new(clients + 1));
    let go = Arc::new(tokio::sync::Barrier::new(clients + 1));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (bodies, next, uri, authority) =
            (bodies.clone(), next.clone(), uri.clone(), authority.clone());
        let (connected, go) = (connected.clone(), go.clone());
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(authority.as_str())
                .await
                .expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .expect("handshake");
            tokio::spawn(connection);
            connected.wait().await;
            go.wait().await;
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= bodies.len() {
                    break;
                }
                let t = Instant::now();
                let request = hyper::Request::post(uri.clone())
                    .header(hyper::header::HOST, authority.as_str())
                    .header(hyper::header::CONTENT_TYPE, "application/json")
                    .body(Full::new(Bytes::copy_from_slice(&bodies[i])))
                    .expect("request");
                sender.ready().await.expect("connection ready");
                let response = sender.send_request(request).await.expect("send");
                assert_eq!(response.status().as_u16(), 201);
                response.into_body().collect().await.expect("body");
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    connected.wait().await;
    let (started, cpu_before) = (Instant::now(), common::cpu_time());
    go.wait().await;
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("client"));
    }
    let (elapsed, cpu) = (started.elapsed(), common::cpu_time() - cpu_before);
    latencies.sort();
    Posted {
        latencies,
        elapsed,
        cpu,
    }
}

/// `entries` sealed `document.register` statements of the registrar
/// `official`, as posted: the simplest statement the rules accept, checked
/// in full on each append.
fn document_bodies(official: &SigningKey, entries: usize) -> Arc<Vec<Vec<u8>>> {
    Arc::new(
        (0..entries)
            .map(|i| {
                let statement = json!({"type": "document.register", "id": format!("load-{i}"), "ledger": ORIGIN,
                    "document": {"id": format!("laporan-{i}"), "kind": "Other", "number": format!("LK/{i}/2026"),
                                 "title": "Laporan kemajuan", "date": "2026-11-01", "sha256": "ab".repeat(32)}});
                let serde_json::Value::Object(map) = statement else { unreachable!() };
                serde_json::to_vec(&seal(&map, official)).expect("json")
            })
            .collect(),
    )
}

/// What the parts of one append cost on their own, in this process: the
/// HTTP exchange with nothing behind it (a server that answers each post
/// with its body, the same clients), checking an envelope (parse,
/// canonical form, signature, one core), and appending checked
/// envelopes through the library with the rules, without HTTP.
async fn floors(entries: usize, clients: usize) {
    let official = SigningKey::from_bytes(&[3; 32]);
    let bodies = document_bodies(&official, entries);

    let echo = axum::Router::new().route(
        "/",
        axum::routing::post(|body: axum::body::Bytes| async move {
            (axum::http::StatusCode::CREATED, body)
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, echo).await });
    let posted = post_all(&url, bodies.clone(), clients).await;
    let http = (posted.elapsed, posted.cpu);

    let (started, cpu_before) = (Instant::now(), common::cpu_time());
    let envelopes: Vec<VerifiedEnvelope> = bodies
        .iter()
        .map(|body| {
            let envelope = serde_json::from_slice(body).expect("envelope");
            VerifiedEnvelope::check(envelope, ORIGIN).expect("valid")
        })
        .collect();
    let check = (started.elapsed(), common::cpu_time() - cpu_before);

    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("floor.db").display());
    let (ledger, _) = ledger_with_genesis(&url, &official).await;
    let envelopes = Arc::new(std::sync::Mutex::new(envelopes));
    let (started, cpu_before) = (Instant::now(), common::cpu_time());
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (ledger, envelopes) = (ledger.clone(), envelopes.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(envelope) = envelopes.lock().expect("envelopes").pop() else {
                    break;
                };
                ledger.submit(envelope).await.expect("appended");
            }
        }));
    }
    for t in tasks {
        t.await.expect("appender client");
    }
    let append = (started.elapsed(), common::cpu_time() - cpu_before);

    let per = |(wall, cpu): (Duration, Duration)| {
        (
            entries as f64 / wall.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / entries as f64,
        )
    };
    let ((http_rate, http_cpu), (_, check_cpu), (append_rate, append_cpu)) =
        (per(http), per(check), per(append));
    println!(
        "the parts alone, {clients} clients: HTTP exchange with nothing behind it {http_rate:.0}/s, CPU {http_cpu:.0} µs a post (server and clients); checking an envelope {check_cpu:.0} µs (one core); appending checked envelopes through the library with the rules (SQLite, no HTTP) {append_rate:.0}/s, CPU {append_cpu:.0} µs an entry; sum {:.0} µs",
        http_cpu + check_cpu + append_cpu
    );
}

/// A ledger with the governance rules on `url`, its genesis appended with
/// `official` as its one registrar.
async fn ledger_with_genesis(
    url: &str,
    official: &SigningKey,
) -> (prasasti::ledger::Ledger, Governance) {
    let store = Store::connect(url).await.expect("store");
    let (ledger, governance) = Governance::open_ledger(store, log_signer())
        .await
        .expect("ledger");
    let genesis = json!({"type": "ledger.genesis", "id": "genesis", "ledger": ORIGIN,
        "government": {"name": "Pemerintah Kabupaten Beban", "region_code": "99.02", "timezone": "Asia/Jakarta"},
        "registrars": {"keys": [keyid_of(&official.verifying_key())], "threshold": 1}});
    let serde_json::Value::Object(genesis) = genesis else {
        unreachable!()
    };
    let mut genesis = seal(&genesis, official);
    ledger.consent_to_genesis(&mut genesis).expect("consent");
    ledger
        .submit(VerifiedEnvelope::check(genesis, ORIGIN).expect("genesis"))
        .await
        .expect("genesis appended");
    (ledger, governance)
}

/// The load ledgers' key.
fn log_signer() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, [7; 32]).expect("key")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(name: &str, url: &str, entries: usize, clients: usize, crypto: f64) {
    let official = SigningKey::from_bytes(&[3; 32]);
    let (ledger, governance) = ledger_with_genesis(url, &official).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(prasasti::serve(
        listener,
        // One client address makes every request: no submission budget.
        AppState::with_config(
            ledger.clone(),
            governance,
            prasasti::server::ServerConfig {
                limits: prasasti::server::Limits {
                    submissions_per_minute: 0,
                    ..Default::default()
                },
                ..Default::default()
            },
        ),
        std::future::pending(),
    ));

    let bodies = document_bodies(&official, entries);
    let posted = post_all(&format!("{base}/api/v1/entries"), bodies, clients).await;
    let rate = posted.rate();
    let latencies = &posted.latencies;
    println!(
        "{name}: {entries} signed entries via HTTP, {clients} clients: {rate:.0} entries/s ({:.2} × one core's verify_strict); submit-to-checkpoint p50 {:.1} ms, p99 {:.1} ms; CPU {:.0} µs an entry (server and clients)",
        rate / crypto,
        percentile(latencies, 0.50).as_secs_f64() * 1e3,
        percentile(latencies, 0.99).as_secs_f64() * 1e3,
        posted.cpu_micros(),
    );

    for (what, source) in [
        (
            "database",
            Source::Database(Store::open(url).await.expect("store")),
        ),
        ("HTTP tiles", Source::Server { base: base.clone() }),
    ] {
        let options = verify::Options {
            verifier: log_signer().verifier(),
            state_file: None,
            policy: None,
            progress: Default::default(),
        };
        let cpu_before = common::cpu_time();
        let audit = audit::audit(&source, &options).await.expect("verify");
        let cpu = common::cpu_time() - cpu_before;
        assert!(audit.is_clean(), "the load ledger verifies");
        let report = audit.log;
        let rate = report.entries as f64 / report.elapsed.as_secs_f64();
        println!(
            "{name}: full verify with governance replay from {what}: {} entries in {:.2} s, {rate:.0} entries/s ({:.2} × one core's verify_strict); CPU {:.0} µs an entry",
            report.entries,
            report.elapsed.as_secs_f64(),
            rate / crypto,
            cpu.as_secs_f64() * 1e6 / report.entries as f64,
        );
    }
}

/// N audit notes about one commitment, in tenths: does the cost grow with
/// the history of one object?
async fn history(notes: usize) {
    use prasasti::governance::demo;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("history.db").display());

    let store = Store::connect(&url).await.expect("store");
    let (ledger, governance) = Governance::open_ledger(store, log_signer())
        .await
        .expect("ledger");
    demo::write(&ledger, &Default::default())
        .await
        .expect("demo");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let config = prasasti::server::ServerConfig {
        limits: prasasti::server::Limits {
            submissions_per_minute: 0,
            ..Default::default()
        },
        ..Default::default()
    };
    tokio::spawn(prasasti::serve(
        listener,
        AppState::with_config(ledger, governance, config),
        std::future::pending(),
    ));
    let bodies: Vec<Vec<u8>> = (0..notes)
        .map(|i| {
            let statement = json!({"type": "audit.note", "id": format!("note-{i}"), "ledger": ORIGIN,
                "subject": {"kind": "commitment", "id": "portal-satu-data"},
                "finding": format!("Temuan pemeriksaan nomor {i}."), "severity": "low"});
            let serde_json::Value::Object(statement) = statement else { unreachable!() };
            let step = demo::Step { statement, signers: vec!["siti"] };
            serde_json::to_vec(&demo::seal_step(ORIGIN, &step)).expect("json")
        })
        .collect();
    let client = prasasti::ledger::http::client().expect("client");
    println!("history: {notes} audit notes about one commitment, 64 clients, SQLite");
    println!(
        "notes so far | notes/s in this tenth | CPU µs a note (server and clients) | GET /api/v1/programmes/satu-data | GET /program/satu-data"
    );
    let tenth = (notes / 10).max(1);
    let mut done = 0;
    for block in bodies.chunks(tenth) {
        done += block.len();
        let block = Arc::new(block.to_vec());
        let posted = post_all(&format!("{base}/api/v1/entries"), block.clone(), 64).await;
        let (rate, cpu) = (posted.rate(), posted.cpu_micros());
        let (api_ms, api_mb, _) = fetch(&client, &base, "/api/v1/programmes/satu-data").await;
        let (page_ms, page_mb, _) = fetch(&client, &base, "/program/satu-data").await;
        println!(
            "{done} | {rate:.0} | {cpu:.0} | {api_ms:.0} ms, {api_mb:.2} MB | {page_ms:.0} ms, {page_mb:.2} MB"
        );
    }
    let last = demo::story(ORIGIN).len() + notes - 1;
    println!("\nthen every page and API answer, 5 times each:");
    println!("path | status | median ms | slowest ms | MB");
    for path in [
        "/".to_owned(),
        "/program".into(),
        "/program/satu-data".into(),
        "/kesinambungan".into(),
        "/ledger".into(),
        "/ledger?program=satu-data".into(),
        format!("/ledger/{last}"),
        "/verifikasi".into(),
        "/meja".into(),
        "/feed.atom".into(),
        "/program/satu-data/feed.atom".into(),
        "/data/programmes.csv".into(),
        "/data/milestones.json".into(),
        "/checkpoint".into(),
        "/api/v1/log".into(),
        format!("/api/v1/entries?start={}", last - 49),
        format!("/api/v1/entries/{last}"),
        format!("/api/v1/entries/{last}/proof"),
        "/api/v1/charter".into(),
        "/api/v1/programmes".into(),
        "/api/v1/programmes/satu-data".into(),
        "/api/v1/programmes/satu-data/entries".into(),
        "/api/v1/programmes/satu-data/audit-notes".into(),
        "/api/v1/commitments/portal-satu-data".into(),
        "/api/v1/commitments/portal-satu-data/audit-notes".into(),
        "/api/v1/offices".into(),
        "/api/v1/offices/inspektorat".into(),
        "/api/v1/continuity".into(),
        "/api/v1/drafts?status=pending".into(),
        "/api/v1/statement-types".into(),
        "/api/v1/state".into(),
        "/metrics".into(),
    ] {
        let mut times = Vec::new();
        let (mut mb, mut status) = (0.0, 0);
        for _ in 0..5 {
            let (ms, size, code) = fetch(&client, &base, &path).await;
            times.push(ms);
            (mb, status) = (size, code);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{path} | {status} | {:.1} | {:.1} | {mb:.3}",
            times[2], times[4]
        );
    }
}

/// One GET: milliseconds, megabytes, status.
async fn fetch(client: &reqwest::Client, base: &str, path: &str) -> (f64, f64, u16) {
    let t = Instant::now();
    let response = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("get");
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("body");
    (
        t.elapsed().as_secs_f64() * 1e3,
        body.len() as f64 / 1e6,
        status,
    )
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing we need.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .init();
    }
    let entries: usize = std::env::var("PRASASTI_LOADGEN_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    if let Some(notes) = std::env::var("PRASASTI_LOADGEN_HISTORY")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(history(notes));
        return;
    }
    let clients: Vec<usize> = std::env::var("PRASASTI_LOADGEN_CLIENTS")
        .unwrap_or_else(|_| "32,256".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let crypto = crypto_rate();
    println!("this machine: verify_strict {crypto:.0}/s on one core");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        for &n in &clients {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!("sqlite://{}", dir.path().join("load.db").display());
            run("SQLite", &url, entries, n, crypto).await;
            floors(entries, n).await;
        }
        if let Ok(admin) = std::env::var("PRASASTI_TEST_POSTGRES_URL") {
            use sea_orm::ConnectionTrait;
            let conn = sea_orm::Database::connect(&admin).await.expect("postgres");
            for &n in &clients {
                let db = format!("prasasti_loadgen_{}_{n}", std::process::id());
                conn.execute_unprepared(&format!("CREATE DATABASE {db}"))
                    .await
                    .expect("create");
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                run("PostgreSQL", &format!("{base}/{db}"), entries, n, crypto).await;
                conn.execute_unprepared(&format!("DROP DATABASE {db} WITH (FORCE)"))
                    .await
                    .ok();
            }
        } else {
            println!("PostgreSQL skipped: set PRASASTI_TEST_POSTGRES_URL");
        }
    });
}
