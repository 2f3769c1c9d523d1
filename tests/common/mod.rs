//! Shared test helpers: a fresh database per test on SQLite and PostgreSQL,
//! an application served on a random port, and signing helpers.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;

use ed25519_dalek::SigningKey;
use prasasti::governance::Governance;
use prasasti::ledger::Ledger;
use prasasti::ledger::statement::{Envelope, VerifiedEnvelope, keyid_of, seal};
use prasasti::server::AppState;
use prasasti::store::Store;
use prasasti::tlog::note::NoteSigner;
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

/// Origin of every test ledger.
pub const ORIGIN: &str = "test.prasasti.example/ledger";

/// The PostgreSQL server for storage tests, if configured.
pub fn postgres_url() -> Option<String> {
    std::env::var("PRASASTI_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A database made for one test, removed when dropped.
pub struct TestDb {
    pub url: String,
    pub name: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
        TestDb {
            url,
            name: "sqlite",
            _dir: Some(dir),
            pg_drop: None,
        }
    }

    pub async fn postgres(admin_url: &str) -> TestDb {
        let mut id = [0u8; 6];
        getrandom::fill(&mut id).expect("randomness");
        let db_name = format!("prasasti_test_{}", hex::encode(id));
        let admin = sea_orm::Database::connect(admin_url)
            .await
            .expect("PostgreSQL must be reachable at PRASASTI_TEST_POSTGRES_URL");
        use sea_orm::ConnectionTrait;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {db_name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(admin_url);
        TestDb {
            url: format!("{base}/{db_name}"),
            name: "postgres",
            _dir: None,
            pg_drop: Some((admin_url.to_owned(), db_name)),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, db_name)) = self.pg_drop.take() {
            // Dropping runs outside any runtime the test may still hold.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    use sea_orm::ConnectionTrait;
                    let admin = sea_orm::Database::connect(&admin_url).await.ok()?;
                    admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"
                        ))
                        .await
                        .ok()?;
                    admin.close().await.ok()
                })
            })
            .join();
        }
    }
}

/// Runs `test` once on a fresh SQLite database and once on a fresh
/// PostgreSQL database (or says PostgreSQL was skipped).
pub async fn on_each_backend<F, Fut>(test: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    test(TestDb::sqlite()).await;
    match postgres_url() {
        Some(url) => test(TestDb::postgres(&url).await).await,
        None => eprintln!("PostgreSQL part skipped: PRASASTI_TEST_POSTGRES_URL is not set"),
    }
}

/// The test ledger's key: fixed, so failures are reproducible.
pub fn ledger_key() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, [42; 32]).expect("valid test key")
}

/// An official's key, numbered.
pub fn official(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

/// A statement object of the given type and id for the test ledger, with
/// no other field (the core checks do not look further).
pub fn statement(kind: &str, id: &str) -> Map<String, Value> {
    let Value::Object(map) = json!({"type": kind, "id": id, "ledger": ORIGIN}) else {
        unreachable!()
    };
    map
}

/// The genesis of every test ledger: official 1 is its only registrar.
pub fn genesis() -> Map<String, Value> {
    let mut s = statement("ledger.genesis", "genesis");
    s.insert(
        "government".into(),
        json!({"name": "Pemerintah Kabupaten Uji", "region_code": "99.01", "timezone": "Asia/Jakarta"}),
    );
    s.insert(
        "registrars".into(),
        json!({"keys": [keyid_of(&official(1).verifying_key())], "threshold": 1}),
    );
    s
}

/// A `document.register` statement with statement id `id`, which official 1
/// (the test registrar) may sign: the simplest statement the rules accept.
pub fn document(id: &str) -> Map<String, Value> {
    let mut s = statement("document.register", id);
    s.insert(
        "document".into(),
        json!({"id": format!("doc-{id}"), "kind": "Other", "number": format!("UJI/{id}"),
               "title": format!("document {id}"), "date": "2026-01-05", "sha256": "ab".repeat(32)}),
    );
    s
}

/// A document registration signed by official 1.
pub fn signed(id: &str) -> Envelope {
    seal(&document(id), &official(1))
}

/// The settings of test servers: tests post many entries from one
/// address, so there is no submission budget.
pub fn test_config() -> prasasti::server::ServerConfig {
    prasasti::server::ServerConfig {
        limits: prasasti::server::Limits {
            submissions_per_minute: 0,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Opens the ledger with its governance rules on `db`.
pub async fn open_app(db: &TestDb) -> AppState {
    open_app_with(db, test_config()).await
}

/// Opens the ledger with its governance rules on `db`, with `config`.
pub async fn open_app_with(db: &TestDb, config: prasasti::server::ServerConfig) -> AppState {
    let store = Store::connect(&db.url).await.expect("open store");
    let (ledger, governance) = Governance::open_ledger(store, ledger_key())
        .await
        .expect("open ledger");
    AppState::with_config(ledger, governance, config)
}

/// Opens the ledger on `db` with the witness policy `policy`.
pub async fn open_app_witnessed(db: &TestDb, policy: prasasti::tlog::policy::Policy) -> AppState {
    let store = Store::connect(&db.url).await.expect("open store");
    let witnessing = prasasti::ledger::witnessing::Witnessing::new(policy).expect("witnessing");
    let (ledger, governance) =
        Governance::open_witnessed_ledger(store, ledger_key(), Some(witnessing))
            .await
            .expect("open ledger");
    AppState::with_config(ledger, governance, test_config())
}

/// Serves `state` on a random local port beside the others: its address,
/// and the sender that stops it.
pub async fn serve_app(state: AppState) -> (String, oneshot::Sender<()>) {
    serve_state(state).await
}

/// A served ledger holding the whole demonstration story.
pub async fn demo_app(db: TestDb) -> TestApp {
    let app = TestApp::spawn_empty(db).await;
    prasasti::governance::demo::write(&app.ledger, &Default::default())
        .await
        .expect("demo story");
    app
}

/// Adds the test ledger key's signature: the operator's consent to a genesis.
pub fn consented(mut envelope: Envelope) -> Envelope {
    prasasti::ledger::statement::cosign(&mut envelope, ledger_key().signing_key())
        .expect("co-sign");
    envelope
}

/// Writes the test genesis into an empty ledger.
pub async fn write_genesis(ledger: &Ledger) {
    let envelope = VerifiedEnvelope::check(consented(seal(&genesis(), &official(1))), ORIGIN)
        .expect("genesis");
    ledger.submit(envelope).await.expect("genesis appended");
}

/// A ledger served on a random local port.
pub struct TestApp {
    pub base: String,
    pub ledger: Ledger,
    pub governance: Governance,
    pub client: reqwest::Client,
    pub db: TestDb,
    shutdown: Option<oneshot::Sender<()>>,
}

impl TestApp {
    /// A served ledger holding the test genesis as entry 0.
    pub async fn spawn(db: TestDb) -> TestApp {
        let app = TestApp::spawn_empty(db).await;
        write_genesis(&app.ledger).await;
        app
    }

    /// A served ledger holding the test genesis, with `config`.
    pub async fn spawn_with(db: TestDb, config: prasasti::server::ServerConfig) -> TestApp {
        let state = open_app_with(&db, config).await;
        let app = TestApp::serve(db, state).await;
        write_genesis(&app.ledger).await;
        app
    }

    /// A served ledger holding the test genesis, publishing only the
    /// checkpoints `policy`'s quorum cosigned (no rounds run by themselves).
    pub async fn spawn_witnessed(db: TestDb, policy: prasasti::tlog::policy::Policy) -> TestApp {
        let state = open_app_witnessed(&db, policy).await;
        let app = TestApp::serve(db, state).await;
        write_genesis(&app.ledger).await;
        app
    }

    /// A served ledger with no entry at all.
    pub async fn spawn_empty(db: TestDb) -> TestApp {
        let state = open_app(&db).await;
        TestApp::serve(db, state).await
    }

    async fn serve(db: TestDb, state: AppState) -> TestApp {
        let ledger = state.ledger.clone();
        let governance = state.governance.clone();
        let (base, tx) = serve_state(state).await;
        TestApp {
            base,
            ledger,
            governance,
            client: prasasti::ledger::http::client().expect("HTTP client"),
            db,
            shutdown: Some(tx),
        }
    }

    /// The published state hash.
    pub async fn state_hash(&self) -> String {
        let (status, body) = self.get_json("/api/v1/state").await;
        assert_eq!(status, 200, "{body}");
        body["state_hash"].as_str().expect("state_hash").to_owned()
    }

    pub async fn post_json(&self, body: impl Into<reqwest::Body>) -> (u16, Value) {
        self.try_post_json(body).await.expect("request")
    }

    pub async fn try_post_json(
        &self,
        body: impl Into<reqwest::Body>,
    ) -> Result<(u16, Value), reqwest::Error> {
        let response = self
            .client
            .post(format!("{}/api/v1/entries", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    pub async fn submit(&self, envelope: &Envelope) -> (u16, Value) {
        self.post_json(serde_json::to_vec(envelope).expect("json"))
            .await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn tree_size(&self) -> u64 {
        self.ledger
            .latest_checkpoint()
            .await
            .expect("checkpoint")
            .tree_size
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Posts a body to a server's `POST /api/v1/entries` as JSON.
pub async fn post_entry(
    client: &reqwest::Client,
    base: &str,
    body: impl Into<reqwest::Body>,
) -> Result<reqwest::Response, reqwest::Error> {
    client
        .post(format!("{base}/api/v1/entries"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
}

/// What a finished process printed, standard output then standard error.
pub fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Path of the built `prasasti` binary.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_prasasti"))
}

/// Where tests leave files worth looking at.
pub fn output_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(test);
    std::fs::create_dir_all(&dir).expect("output dir");
    dir
}

impl TestApp {
    /// Posts JSON (bytes) to `path`; the status and the JSON answer.
    pub async fn post_to(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        post_to(&self.client, &self.base, path, body).await
    }
}

/// Posts JSON (bytes) to `base` + `path`; the status and the JSON answer.
pub async fn post_to(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let response = client
        .post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Another server on the same database, as after a restart or beside the
/// first (several servers on one PostgreSQL): its address, and the sender
/// that stops it.
pub async fn another_server(
    db: &TestDb,
    config: prasasti::server::ServerConfig,
) -> (String, oneshot::Sender<()>) {
    serve_state(open_app_with(db, config).await).await
}

/// Serves `state` on a random local port: its address, and the sender that
/// stops it.
async fn serve_state(state: AppState) -> (String, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        prasasti::serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .expect("serve");
    });
    (base, tx)
}
