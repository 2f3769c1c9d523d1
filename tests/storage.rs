//! Storage on both databases: append-only triggers, tamper detection by
//! `prasasti verify`, concurrent writers across server processes, and a
//! crash in the middle of sustained appends.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;
use prasasti::governance::audit::StateCheck;
use prasasti::ledger::verify::{self, Source};
use prasasti::store::Store;
use sea_orm::ConnectionTrait;

async fn audit(url: &str) -> Result<verify::Report, verify::VerifyError> {
    let store = Store::open(url).await.expect("open");
    let options = verify::Options {
        verifier: ledger_key().verifier(),
        state_file: None,
        policy: None,
        progress: Default::default(),
    };
    let audit = prasasti::governance::audit::audit(&Source::Database(store), &options).await?;
    assert!(
        audit.is_clean(),
        "rule violations {:?}, state {:?}",
        audit.log.violations,
        audit.state_check
    );
    assert_eq!(audit.state_check, StateCheck::Matches);
    Ok(audit.log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_tree_hashes_and_checkpoints_witnessed_or_not_cannot_be_changed_or_deleted() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn(db).await;
        for i in 0..5 {
            app.submit(&signed(&format!("a{i}"))).await;
        }
        let before = app.ledger.latest_checkpoint().await.unwrap();
        let store = app.ledger.store();
        assert!(store.add_witnessed_checkpoint(&before).await.unwrap());
        assert!(!store.add_witnessed_checkpoint(&before).await.unwrap());
        let conn = store.connection();
        let postgres = app.db.name == "postgres";
        let mut attempts = vec![
            "UPDATE entries SET recorded_at = '2000-01-01T00:00:00.000000Z' WHERE idx = 1"
                .to_owned(),
            "DELETE FROM entries WHERE idx = 4".to_owned(),
            "UPDATE tree_nodes SET hash = hash WHERE level = 0".to_owned(),
            "DELETE FROM tree_nodes".to_owned(),
            "UPDATE checkpoints SET note = 'forged'".to_owned(),
            "DELETE FROM checkpoints".to_owned(),
            "UPDATE ledger_meta SET value = 'other'".to_owned(),
            "DELETE FROM ledger_meta".to_owned(),
            "UPDATE witnessed_checkpoints SET note = 'forged'".to_owned(),
            "DELETE FROM witnessed_checkpoints".to_owned(),
        ];
        let tables = [
            "entries",
            "tree_nodes",
            "checkpoints",
            "ledger_meta",
            "witnessed_checkpoints",
        ];
        if postgres {
            for table in tables {
                attempts.push(format!("TRUNCATE {table}"));
            }
        } else {
            // REPLACE deletes the old row without firing DELETE triggers.
            attempts.extend([
                "INSERT OR REPLACE INTO entries SELECT idx, statement_id, digest, leaf_hash, '2000-01-01T00:00:00.000000Z', body FROM entries WHERE idx = 0".to_owned(),
                "INSERT OR REPLACE INTO entries SELECT 99, statement_id, digest, leaf_hash, recorded_at, body FROM entries WHERE idx = 0".to_owned(),
                "INSERT OR REPLACE INTO tree_nodes SELECT level, idx, zeroblob(32) FROM tree_nodes WHERE level = 0 AND idx = 0".to_owned(),
                "INSERT OR REPLACE INTO checkpoints SELECT tree_size, root_hash, 'forged', signed_at FROM checkpoints WHERE tree_size = 0".to_owned(),
                "INSERT OR REPLACE INTO ledger_meta VALUES ('verifier_key', 'forged')".to_owned(),
                "INSERT OR REPLACE INTO witnessed_checkpoints SELECT tree_size, root_hash, 'forged', witnessed_at FROM witnessed_checkpoints".to_owned(),
            ]);
        }
        for sql in &attempts {
            let result = conn.execute_unprepared(sql).await;
            assert!(result.is_err(), "{}: {sql} was allowed", app.db.name);
            assert!(
                result.unwrap_err().to_string().contains("append-only"),
                "{sql}"
            );
        }
        if postgres {
            // Replication mode skips ordinary triggers, not ours.
            for table in tables {
                use sea_orm::TransactionTrait;
                let tx = conn.begin().await.unwrap();
                tx.execute_unprepared("SET LOCAL session_replication_role = replica")
                    .await
                    .unwrap();
                let result = tx.execute_unprepared(&format!("DELETE FROM {table}")).await;
                assert!(
                    result.unwrap_err().to_string().contains("append-only"),
                    "{table} in replica mode"
                );
            }
        }
        assert_eq!(app.ledger.latest_checkpoint().await.unwrap(), before);
        assert_eq!(
            store.latest_witnessed_checkpoint().await.unwrap().unwrap(),
            before
        );
        let report = audit(&app.db.url).await.unwrap();
        assert_eq!(report.entries, 6);
    })
    .await;
}

/// Changes one stored entry with the triggers out of the way, as an
/// operator with database access could.
async fn tamper(url: &str, postgres: bool, index: u64) {
    let store = Store::open(url).await.unwrap();
    let conn = store.connection();
    let body = String::from_utf8(store.entry(index).await.unwrap().unwrap().body).unwrap();
    let forged = body.replacen("\"recorded_at\":\"20", "\"recorded_at\":\"19", 1);
    assert_ne!(body, forged);
    let hex_body = hex::encode(forged.as_bytes());
    if postgres {
        conn.execute_unprepared(&format!(
            "ALTER TABLE entries DISABLE TRIGGER ALL; UPDATE entries SET body = '\\x{hex_body}'::bytea WHERE idx = {index}; ALTER TABLE entries ENABLE ALWAYS TRIGGER entries_append_only"
        ))
        .await
        .unwrap();
    } else {
        conn.execute_unprepared(&format!(
            "DROP TRIGGER entries_no_update; UPDATE entries SET body = X'{hex_body}' WHERE idx = {index}"
        ))
        .await
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_the_index_of_a_row_changed_behind_the_triggers_back() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn(db).await;
        for i in 0..40 {
            app.submit(&signed(&format!("b{i}"))).await;
        }
        let dir = tempfile::tempdir().unwrap();
        let vkey = dir.path().join("ledger.vkey");
        std::fs::write(&vkey, ledger_key().verifier().to_vkey_string()).unwrap();
        let state = dir.path().join("state");
        let run = |source: &[&str]| {
            let mut cmd = Command::new(binary());
            cmd.arg("verify")
                .args(source)
                .arg("--vkey")
                .arg(&vkey)
                .arg("--state")
                .arg(&state);
            cmd.output().unwrap()
        };
        let ok = run(&["--database", &app.db.url]);
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );

        tamper(&app.db.url, app.db.name == "postgres", 17).await;
        for source in [
            ["--database", app.db.url.as_str()],
            ["--server", app.base.as_str()],
        ] {
            let out = run(&source);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                !out.status.success(),
                "{source:?}: the tampered log verified"
            );
            assert!(stderr.contains("entry 17:"), "{source:?}: {stderr}");
        }
    })
    .await;
}

/// A `prasasti serve` process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(database: &str, keys: &Path) -> Server {
        let mut child = Command::new(binary())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database",
                database,
                "--submissions-per-minute",
                "0",
                "--keys",
            ])
            .arg(keys)
            .env("RUST_LOG", "prasasti=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start prasasti serve");
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let base = loop {
            line.clear();
            if reader.read_line(&mut line).unwrap() == 0 {
                panic!("prasasti serve exited before listening");
            }
            if let Some(url) = line.split(" on ").nth(1) {
                break url.trim().to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on it.
        std::thread::spawn(move || for _ in reader.lines() {});
        Server { child, base }
    }

    fn kill(mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn init_keys(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let key = dir.join("ledger.key");
    std::fs::write(&key, format!("{}\n", ledger_key().to_private_string())).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&key).unwrap().permissions(),
        0o600,
    );
    #[cfg(unix)]
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
}

async fn hammer(
    bases: Vec<String>,
    writers: usize,
    per_writer: usize,
    tag: &str,
) -> Vec<(u64, String)> {
    let client = prasasti::ledger::http::client().expect("HTTP client");
    let acked = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for w in 0..writers {
        let base = bases[w % bases.len()].clone();
        let client = client.clone();
        let acked = acked.clone();
        let tag = tag.to_owned();
        tasks.push(tokio::spawn(async move {
            for i in 0..per_writer {
                let id = format!("{tag}-w{w}-{i}");
                let response =
                    post_entry(&client, &base, serde_json::to_vec(&signed(&id)).unwrap())
                        .await
                        .expect("request");
                assert_eq!(response.status().as_u16(), 201);
                let body: serde_json::Value = response.json().await.unwrap();
                acked
                    .lock()
                    .unwrap()
                    .push((body["index"].as_u64().unwrap(), id));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut acked = Arc::try_unwrap(acked).unwrap().into_inner().unwrap();
    acked.sort();
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_and_sixteen_writers_make_one_linear_verifiable_log() {
    on_each_backend(|db| async move {
        let keys = tempfile::tempdir().unwrap();
        init_keys(keys.path());
        // Migrate and write the genesis first, as an operator would, then
        // start both servers.
        write_genesis(&open_app(&db).await.ledger).await;
        let a = Server::start(&db.url, keys.path());
        let b = Server::start(&db.url, keys.path());
        let acked = hammer(vec![a.base.clone(), b.base.clone()], 16, 25, "c").await;
        let indices: Vec<u64> = acked.iter().map(|(i, _)| *i).collect();
        assert_eq!(
            indices,
            (1..401).collect::<Vec<_>>(),
            "{}: gaps or duplicate indices",
            db.name
        );
        let report = audit(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));
        assert_eq!(report.entries, 401);
        // Both servers publish the state the replay computes.
        let client = prasasti::ledger::http::client().unwrap();
        let mut hashes = Vec::new();
        for base in [&a.base, &b.base] {
            let state: serde_json::Value = client
                .get(format!("{base}/api/v1/state"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(state["tree_size"], 401);
            hashes.push(state["state_hash"].clone());
        }
        assert_eq!(hashes[0], hashes[1], "{}", db.name);
        let store = Store::open(&db.url).await.unwrap();
        for (index, id) in acked.iter().step_by(37) {
            assert_eq!(
                store.entry_by_statement(id).await.unwrap().unwrap().index,
                *index
            );
        }
        a.kill();
        b.kill();
    })
    .await;
}

/// Submits the document statement `id` to `ledger`: its index and
/// whether it was new.
async fn append(ledger: &prasasti::ledger::Ledger, id: &str) -> (u64, bool) {
    let envelope =
        prasasti::ledger::statement::VerifiedEnvelope::check(signed(id), ORIGIN).expect("envelope");
    let appended = ledger.submit(envelope).await.expect("appended");
    (appended.index, appended.created)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_placed_on_a_head_that_moved_is_placed_again_on_the_new_one() {
    on_each_backend(|db| async move {
        let a = open_app(&db).await;
        write_genesis(&a.ledger).await;
        let b = open_app(&db).await;
        let fallbacks = || {
            prasasti::metrics::metrics()
                .append_fallbacks
                .load(std::sync::atomic::Ordering::Relaxed)
        };
        let before = fallbacks();
        // A knows the head after its own batches and appends without
        // reading it (on SQLite in one request).
        assert_eq!(append(&a.ledger, "m-a1").await, (1, true));
        assert_eq!(append(&a.ledger, "m-a2").await, (2, true));
        // B appends behind A's back.
        assert_eq!(append(&b.ledger, "m-b1").await, (3, true));
        // A's next batch, placed at 3, finds the index taken and is placed
        // again after B's entry.
        assert_eq!(append(&a.ledger, "m-a3").await, (4, true));
        // A statement already in the log, unknown to A's last batch: the
        // one-request append fails on its id, the head read finds it.
        assert_eq!(append(&a.ledger, "m-b1").await, (3, false));
        assert_eq!(append(&a.ledger, "m-a4").await, (5, true));
        // Metrics are the process's: other tests only add to them.
        assert!(
            fallbacks() >= before + 2,
            "{} fallbacks",
            fallbacks() - before
        );
        let report = audit(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));
        assert_eq!(report.entries, 6);
        // Both ledgers hold the same state and answer from it.
        assert_eq!(append(&b.ledger, "m-b2").await, (6, true));
        assert_eq!(
            a.governance.state_hash(7).await.unwrap(),
            b.governance.state_hash(7).await.unwrap(),
            "{}",
            db.name
        );
    })
    .await;
}

/// Rows in each log table, and the head: what a refused write must leave
/// as it was.
async fn log_rows(store: &Store) -> (Vec<i64>, Option<u64>) {
    let mut counts = Vec::new();
    for table in ["entries", "tree_nodes", "checkpoints", "governance_objects"] {
        let row = store
            .connection()
            .query_one_raw(sea_orm::Statement::from_string(
                store.connection().get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        counts.push(row.try_get::<i64>("", "n").unwrap());
    }
    (counts, store.head().await.unwrap().map(|h| h.size))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_in_one_request_that_fails_writes_nothing_and_holds_no_lock() {
    on_each_backend(|db| async move {
        let app = open_app(&db).await;
        write_genesis(&app.ledger).await;
        append(&app.ledger, "once-1").await;
        let store = Store::open(&db.url).await.unwrap();
        let before = log_rows(&store).await;
        let head = store.head().await.unwrap().unwrap();
        let stored = store.entry(1).await.unwrap().unwrap();
        let checkpoint = prasasti::store::StoredCheckpoint {
            tree_size: head.size + 1,
            root: head.last_leaf,
            note: "not a note".into(),
            signed_at: head.last_recorded_at.clone(),
        };
        let entry = |index: u64, id: &str| prasasti::store::NewEntry {
            index,
            statement_id: id.into(),
            digest: stored.digest,
            leaf_hash: stored.leaf_hash,
            recorded_at: head.last_recorded_at.clone(),
            body: stored.body.clone(),
        };
        // An index another append took, then a statement id already in
        // the log: each refused at the first statement.
        for attempt in [entry(1, "once-new"), entry(head.size, "once-1")] {
            let refused = store
                .append_at_once(&prasasti::store::BatchWrite {
                    entries: &[attempt],
                    nodes: &[],
                    checkpoint: &checkpoint,
                    projection: None,
                })
                .await;
            assert!(refused.is_err(), "{}: written", db.name);
            assert_eq!(log_rows(&store).await, before, "{}", db.name);
        }
        // PostgreSQL takes no append in one request at all.
        assert_eq!(store.appends_at_once(), db.name == "sqlite");
        // No connection was left holding the write lock: appends go on
        // (a held lock would keep them waiting for the busy timeout).
        let appended = tokio::time::timeout(Duration::from_secs(10), append(&app.ledger, "once-2"))
            .await
            .expect("the write lock is free");
        assert_eq!(appended, (head.size, true));
    })
    .await;
}

/// Acknowledged entries: (index, statement id).
type Acked = Arc<Mutex<Vec<(u64, String)>>>;

/// `n` writers appending to `base` until a request fails (the server was
/// killed), each recording what the server acknowledged.
fn spawn_writers(
    base: &str,
    n: usize,
    tag: &str,
    acked: &Acked,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..n)
        .map(|w| {
            let base = base.to_owned();
            let acked = acked.clone();
            let tag = tag.to_owned();
            tokio::spawn(async move {
                let client = prasasti::ledger::http::client().expect("HTTP client");
                for i in 0.. {
                    let id = format!("{tag}-w{w}-{i}");
                    let sent =
                        post_entry(&client, &base, serde_json::to_vec(&signed(&id)).unwrap()).await;
                    // After the kill, requests fail: stop.
                    let Ok(response) = sent else { break };
                    if response.status().as_u16() != 201 {
                        break;
                    }
                    let Ok(body) = response.json::<serde_json::Value>().await else {
                        break;
                    };
                    acked
                        .lock()
                        .unwrap()
                        .push((body["index"].as_u64().unwrap(), id));
                }
            })
        })
        .collect()
}

/// Runs `n` writers against `server` for `run`, then kills the server with
/// SIGKILL and waits until every writer has stopped.
async fn write_then_kill(server: Server, n: usize, tag: &str, acked: &Acked, run: Duration) {
    let writers = spawn_writers(&server.base, n, tag, acked);
    tokio::time::sleep(run).await;
    server.kill();
    for w in writers {
        w.await.unwrap();
    }
}

/// Every acknowledged entry is in the database at its index.
async fn all_present(url: &str, acked: &[(u64, String)], name: &str) {
    let store = Store::open(url).await.unwrap();
    for (index, id) in acked {
        let entry = store.entry_by_statement(id).await.unwrap();
        assert_eq!(
            entry.map(|e| e.index),
            Some(*index),
            "{name}: acknowledged {id} lost"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_kill_9s_under_32_writers_lose_nothing_and_need_no_hand() {
    on_each_backend(|db| async move {
        let keys = tempfile::tempdir().unwrap();
        init_keys(keys.path());
        write_genesis(&open_app(&db).await.ledger).await;
        let acked: Acked = Arc::default();
        // The same kill moments on every run: 100 to 700 ms after start.
        let mut moment = 0x2545_f491_4f6c_dd1du64;
        for round in 0..20 {
            // Each restart must come up by itself, whatever the kill left.
            let server = Server::start(&db.url, keys.path());
            moment ^= moment << 13;
            moment ^= moment >> 7;
            moment ^= moment << 17;
            let run = Duration::from_millis(100 + moment % 600);
            write_then_kill(server, 32, &format!("soak{round}"), &acked, run).await;
        }
        let acked = acked.lock().unwrap().clone();
        assert!(
            acked.len() > 100,
            "{}: only {} appends",
            db.name,
            acked.len()
        );
        all_present(&db.url, &acked, db.name).await;
        // The log verifies and the governance state it publishes is the replay's.
        let server = Server::start(&db.url, keys.path());
        let report = audit(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));
        assert!(report.entries as usize > acked.len());
        let client = prasasti::ledger::http::client().unwrap();
        let state: serde_json::Value = client
            .get(format!("{}/api/v1/state", server.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(state["tree_size"], report.entries, "{}", db.name);
        server.kill();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_entry_survives_kill_9_during_sustained_appends() {
    on_each_backend(|db| async move {
        let keys = tempfile::tempdir().unwrap();
        init_keys(keys.path());
        write_genesis(&open_app(&db).await.ledger).await;
        let server = Server::start(&db.url, keys.path());
        let acked: Acked = Arc::default();
        write_then_kill(server, 8, "k", &acked, Duration::from_millis(1500)).await;
        let acked = acked.lock().unwrap().clone();
        assert!(
            acked.len() > 20,
            "{}: only {} appends before the kill",
            db.name,
            acked.len()
        );

        let restarted = Server::start(&db.url, keys.path());
        all_present(&db.url, &acked, db.name).await;
        // The log is whole, and appending goes on where it stopped.
        let client = prasasti::ledger::http::client().expect("HTTP client");
        let body = serde_json::to_vec(&signed("after-restart")).unwrap();
        let response = post_entry(&client, &restarted.base, body).await.unwrap();
        assert_eq!(response.status().as_u16(), 201);
        audit(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));
        restarted.kill();
    })
    .await;
}
