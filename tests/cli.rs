//! The command line end to end: keys, signing, submitting, serving and the
//! auditor's verify with its remembered checkpoint.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::*;
use prasasti::ledger::statement::{Envelope, VerifiedEnvelope};
use prasasti::tlog::note::NoteSigner;
use serde_json::{Value, json};

fn prasasti(args: &[&str], dir: &Path) -> Output {
    Command::new(binary())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run prasasti")
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_creates_an_owner_only_key_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let out = prasasti(
        &[
            "init",
            "--origin",
            "karanganyar.example/prasasti",
            "--keys",
            "k",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let key = dir.path().join("k/ledger.key");
    let vkey = std::fs::read_to_string(dir.path().join("k/ledger.vkey")).unwrap();
    assert!(vkey.starts_with("karanganyar.example/prasasti+"));
    #[cfg(unix)]
    assert_eq!(mode(&key), 0o600);
    let before = std::fs::read(&key).unwrap();
    let again = prasasti(
        &[
            "init",
            "--origin",
            "karanganyar.example/prasasti",
            "--keys",
            "k",
        ],
        dir.path(),
    );
    assert!(!again.status.success());
    assert!(
        text(&again).contains("refusing to overwrite"),
        "{}",
        text(&again)
    );
    assert_eq!(std::fs::read(&key).unwrap(), before);
    let bad = prasasti(
        &["init", "--origin", "has space", "--keys", "k2"],
        dir.path(),
    );
    assert!(!bad.status.success());
    assert!(!dir.path().join("k2/ledger.key").exists());
}

#[test]
fn sign_makes_envelopes_and_cosignatures_that_verify() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["bupati", "sekda"] {
        let out = prasasti(
            &["keygen", "--name", name, "--out", "officials"],
            dir.path(),
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("keyid (in envelopes): "));
    }
    // Keys in any order and with whitespace: sign canonicalizes.
    std::fs::write(
        dir.path().join("s.json"),
        format!("{{\n  \"title\": \"Sapa Warga\",\n  \"type\": \"test.note\", \"id\": \"cli-1\",\n  \"ledger\": \"{ORIGIN}\"\n}}"),
    )
    .unwrap();
    let out = prasasti(
        &["sign", "--yes", "--key", "officials/bupati.key", "s.json"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    std::fs::write(dir.path().join("e1.json"), &out.stdout).unwrap();
    let envelope: Envelope = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        VerifiedEnvelope::check(envelope, ORIGIN)
            .unwrap()
            .signers()
            .len(),
        1
    );

    let out = prasasti(
        &["sign", "--yes", "--key", "officials/sekda.key", "e1.json"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let envelope: Envelope = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        VerifiedEnvelope::check(envelope, ORIGIN)
            .unwrap()
            .signers()
            .len(),
        2
    );

    std::fs::write(
        dir.path().join("bad.json"),
        r#"{"type":"test.note","id":"x"}"#,
    )
    .unwrap();
    let out = prasasti(
        &["sign", "--yes", "--key", "officials/bupati.key", "bad.json"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("\"ledger\""), "{}", text(&out));

    // The co-signer is shown what they sign, and asked.
    let out = prasasti(
        &["sign", "--key", "officials/sekda.key", "e1.json"],
        dir.path(),
    );
    assert!(!out.status.success(), "signed without confirmation");
    assert!(text(&out).contains("Sapa Warga"), "{}", text(&out));
    assert!(text(&out).contains("--yes"), "{}", text(&out));
    // A statement for another ledger, or another payload type, is refused.
    let out = prasasti(
        &[
            "sign",
            "--yes",
            "--ledger",
            "other.example/ledger",
            "--key",
            "officials/sekda.key",
            "e1.json",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("not \"other.example/ledger\""),
        "{}",
        text(&out)
    );
    let mut foreign: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("e1.json")).unwrap()).unwrap();
    foreign["payloadType"] = json!("application/vnd.in-toto+json");
    std::fs::write(dir.path().join("foreign.json"), foreign.to_string()).unwrap();
    let out = prasasti(
        &[
            "sign",
            "--yes",
            "--key",
            "officials/sekda.key",
            "foreign.json",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("payloadType"), "{}", text(&out));
}

#[cfg(unix)]
#[test]
fn serve_refuses_a_key_others_can_read_and_says_how_to_make_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = prasasti(
        &["serve", "--keys", "nokeys", "--database", "sqlite://x.db"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("prasasti init --origin"),
        "{}",
        text(&out)
    );

    prasasti(
        &["init", "--origin", "o.example/l", "--keys", "k"],
        dir.path(),
    );
    let key = dir.path().join("k/ledger.key");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = prasasti(
        &[
            "serve",
            "--keys",
            "k",
            "--database",
            "sqlite://x.db",
            "--listen",
            "127.0.0.1:0",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("chmod 600"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_verify_and_check_proof_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_owned();
    let app = TestApp::spawn(TestDb::sqlite()).await;
    std::fs::write(
        d.join("ledger.vkey"),
        ledger_key().verifier().to_vkey_string() + "\n",
    )
    .unwrap();
    let base = app.base.clone();
    let run = move |args: Vec<String>| {
        let d = d.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                prasasti(&args, &d)
            })
            .await
            .unwrap()
        }
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    // Checking entry 3 offline against its proof bundle.
    let check_proof = |entry: &str| {
        run(s(&[
            "check-proof",
            "--vkey",
            "ledger.vkey",
            "--proof",
            "3.tlog-proof",
            entry,
        ]))
    };
    // The auditor's run against a server, remembering its checkpoint.
    let audit = |server: &str| {
        run(s(&[
            "verify",
            "--server",
            server,
            "--vkey",
            "ledger.vkey",
            "--state",
            "audit/state",
        ]))
    };
    // An official takes a template for this ledger and fills it in.
    run(s(&["keygen", "--name", "inspektur", "--out", "officials"])).await;
    let out = run(s(&["template", "document.register", "--server", &base])).await;
    assert!(out.status.success(), "{}", text(&out));
    let mut statement: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(statement["ledger"], ORIGIN);
    assert!(
        statement["id"]
            .as_str()
            .unwrap()
            .starts_with("document-register-")
    );
    statement["id"] = json!("cli-submit");
    statement["document"] = json!({"id": "perbup-12-2026", "kind": "Perbup", "number": "12/2026",
        "title": "Peraturan Bupati tentang Satu Data", "date": "2026-03-02", "sha256": "cd".repeat(32)});
    std::fs::write(dir.path().join("s.json"), statement.to_string()).unwrap();
    let out = run(s(&[
        "sign",
        "--yes",
        "--key",
        "officials/inspektur.key",
        "s.json",
    ]))
    .await;
    std::fs::write(dir.path().join("e.json"), &out.stdout).unwrap();
    // The inspector is no registrar: the refusal says what to do.
    let out = run(s(&["submit", "--server", &base, "e.json"])).await;
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.contains("unauthorized_signer") && said.contains("co-sign"),
        "{said}"
    );
    // The registrar co-signs, and the envelope goes in.
    let registrar = NoteSigner::from_seed("registrar", [1; 32]).unwrap();
    let key_file = dir.path().join("officials/registrar.key");
    std::fs::write(&key_file, registrar.to_private_string()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(s(&[
        "sign",
        "--yes",
        "--key",
        "officials/registrar.key",
        "e.json",
    ]))
    .await;
    assert!(out.status.success(), "{}", text(&out));
    std::fs::write(dir.path().join("e.json"), &out.stdout).unwrap();
    let out = run(s(&[
        "submit",
        "--server",
        &base,
        "--vkey",
        "ledger.vkey",
        "e.json",
    ]))
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("verified: entry 1"), "{}", text(&out));
    let out = run(s(&["submit", "--server", &base, "e.json"])).await;
    assert!(
        text(&out).contains("already present: entry 1"),
        "{}",
        text(&out)
    );

    for i in 0..8 {
        app.submit(&signed(&format!("more{i}"))).await;
    }
    let out = audit(&base).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("log OK: 10 entries"), "{}", text(&out));
    assert!(
        text(&out).contains("the ledger publishes the same state hash"),
        "{}",
        text(&out)
    );

    // Offline proof bundle for entry 3.
    let bundle = app
        .get("/api/v1/entries/3/proof")
        .await
        .text()
        .await
        .unwrap();
    std::fs::write(dir.path().join("3.tlog-proof"), bundle).unwrap();
    let body = app.ledger.store().entry(3).await.unwrap().unwrap().body;
    std::fs::write(dir.path().join("3.entry"), &body).unwrap();
    let out = check_proof("3.entry").await;
    assert!(out.status.success(), "{}", text(&out));
    let answer = app.get("/api/v1/entries/3").await.bytes().await.unwrap();
    std::fs::write(dir.path().join("3.json"), &answer).unwrap();
    let out = check_proof("3.json").await;
    assert!(out.status.success(), "{}", text(&out));
    let forged = String::from_utf8(body)
        .unwrap()
        .replace("\"index\":3", "\"index\":4");
    std::fs::write(dir.path().join("3.entry"), forged).unwrap();
    let out = check_proof("3.entry").await;
    assert!(!out.status.success());

    // A server with the same key but a shorter log is a rollback...
    let short = TestApp::spawn(TestDb::sqlite()).await;
    for i in 0..5 {
        short.submit(&signed(&format!("more{i}"))).await;
    }
    let out = audit(&short.base).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("rolled back"), "{}", text(&out));

    // ...and one whose first 10 entries differ is a rewrite.
    let fork = TestApp::spawn(TestDb::sqlite()).await;
    for i in 0..12 {
        fork.submit(&signed(&format!("fork{i}"))).await;
    }
    let out = audit(&fork.base).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("rewritten"), "{}", text(&out));

    // The honest log, grown, still verifies against the remembered checkpoint.
    app.submit(&signed("later")).await;
    let out = audit(&base).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("extends the checkpoint of 10 entries"),
        "{}",
        text(&out)
    );
}

/// A server that answers every submission with the same canned answer.
async fn lying_server(answer: Value) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/api/v1/entries",
        axum::routing::post(move || {
            let answer = answer.clone();
            async move { (axum::http::StatusCode::CREATED, axum::Json(answer)) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_with_vkey_catches_a_server_that_answers_with_another_entry() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(TestDb::sqlite()).await;
    std::fs::write(
        dir.path().join("ledger.vkey"),
        ledger_key().verifier().to_vkey_string() + "\n",
    )
    .unwrap();
    // A real entry with a valid checkpoint and proof.
    let (status, real) = app.submit(&signed("real")).await;
    assert_eq!(status, 201, "{real}");
    let mine = signed("mine");
    std::fs::write(
        dir.path().join("mine.json"),
        serde_json::to_vec(&mine).unwrap(),
    )
    .unwrap();
    let submit = |base: String| {
        let d = dir.path().to_owned();
        tokio::task::spawn_blocking(move || {
            prasasti(
                &[
                    "submit",
                    "--server",
                    &base,
                    "--vkey",
                    "ledger.vkey",
                    "mine.json",
                ],
                &d,
            )
        })
    };
    // The statement is dropped; the answer is the other entry's, valid proof and all.
    let out = submit(lying_server(real.clone()).await).await.unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("another statement"), "{}", text(&out));
    // The right envelope, but the answer names another index.
    let (_, honest) = app.submit(&mine).await;
    let mut shifted = honest.clone();
    shifted["index"] = json!(honest["index"].as_u64().unwrap() - 1);
    let out = submit(lying_server(shifted).await).await.unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("is entry"), "{}", text(&out));
    // The honest answer passes.
    let out = submit(app.base.clone()).await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("holds this envelope"), "{}", text(&out));
}

/// Writes a demo official's key file, owner-only, as `prasasti demo` does.
fn official_key(dir: &Path, stem: &str) -> String {
    let (_, key) = prasasti::governance::demo::officials(ORIGIN)
        .into_iter()
        .find(|(name, _)| name == stem)
        .unwrap();
    let signer = prasasti::tlog::note::NoteSigner::from_seed(stem, key.to_bytes()).unwrap();
    let path = dir.join(format!("{stem}.key"));
    std::fs::write(&path, format!("{}\n", signer.to_private_string())).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    format!("{stem}.key")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officials_co_sign_through_a_draft_from_the_command_line() {
    let app = demo_app(TestDb::sqlite()).await;
    let dir = tempfile::tempdir().unwrap();
    let kadis = official_key(dir.path(), "diskominfo-yusuf");
    let bupati = official_key(dir.path(), "bupati-rina");
    let statement = json!({
        "type": "commitment.make", "ledger": ORIGIN, "id": "cli-draft-commitment",
        "commitment": {"id": "dataset-cli", "programme": "satu-data", "title": "Dataset dari baris perintah",
            "description": "Dibuat lewat draf.", "indicators": [{"id": "i1", "name": "Dataset", "unit": "dataset", "baseline": "0", "target": "10"}],
            "budget": {"amount": "1000000", "currency": "IDR", "source": "APBD"}, "due": "2028-12-31"},
    });
    std::fs::write(dir.path().join("s.json"), statement.to_string()).unwrap();
    let out = prasasti(
        &[
            "sign", "--yes", "--key", &kadis, "--draft", &app.base, "s.json",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(
        printed.contains("waiting for") && printed.contains("Bupati"),
        "{printed}"
    );
    let id = printed
        .strip_prefix("draft ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap()
        .to_owned();

    let out = prasasti(
        &["drafts", "--server", &app.base, "--office", "bupati"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&id),
        "{}",
        text(&out)
    );

    let size = app.tree_size().await;
    let out = prasasti(
        &[
            "cosign", "--yes", "--server", &app.base, "--key", &bupati, &id,
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("submitted as entry {size}")),
        "{}",
        text(&out)
    );
    // Co-signing again is refused with a sentence, and nothing changes.
    let out = prasasti(
        &[
            "cosign", "--yes", "--server", &app.base, "--key", &bupati, &id,
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("draft_submitted"), "{}", text(&out));
    assert_eq!(app.tree_size().await, size + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_witness_is_made_and_served_from_the_command_line() {
    use std::io::{BufRead as _, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let out = prasasti(
        &[
            "witness",
            "init",
            "--name",
            "saksi.dprd.example",
            "--keys",
            "wk",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    #[cfg(unix)]
    assert_eq!(mode(&dir.path().join("wk/witness.key")), 0o600);
    let vkey = std::fs::read_to_string(dir.path().join("wk/witness.vkey")).unwrap();
    let verifier = prasasti::tlog::cosignature::CosignatureVerifier::parse(vkey.trim()).unwrap();
    let again = prasasti(
        &[
            "witness",
            "init",
            "--name",
            "saksi.dprd.example",
            "--keys",
            "wk",
        ],
        dir.path(),
    );
    assert!(!again.status.success() && text(&again).contains("refusing to overwrite"));

    let log = NoteSigner::from_seed("example.org/witnessed", [3; 32]).unwrap();
    std::fs::write(
        dir.path().join("logs"),
        format!(
            "# logs this witness watches\nlog {}\n",
            log.verifier().to_vkey_string()
        ),
    )
    .unwrap();
    let mut child = Command::new(binary())
        .args([
            "witness",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--keys",
            "wk",
            "--database",
            "sqlite://w.db",
            "--logs",
            "logs",
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    let checkpoint = prasasti::tlog::checkpoint::Checkpoint {
        origin: "example.org/witnessed".into(),
        size: 1,
        root: prasasti::tlog::hash::leaf_hash(b"one"),
    };
    let body = format!("old 0\n\n{}", checkpoint.sign(&log).unwrap());
    let response = prasasti::ledger::http::client()
        .unwrap()
        .post(&url)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cosignature = response.text().await.unwrap();
    let opened = prasasti::tlog::note::open(
        &format!("{}{cosignature}", checkpoint.sign(&log).unwrap()),
        &[log.verifier()],
    )
    .unwrap();
    assert!(
        verifier
            .verify(&opened.text, &opened.unverified[0])
            .is_some()
    );
    child.kill().ok();
    child.wait().ok();
}

/// A child process killed when dropped.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// Starts `prasasti args…` in `dir` and reads its output until a line
/// holding `marker` and an `http://` address: the process and the address.
fn start(args: &[&str], dir: &Path, marker: &str) -> (Running, String) {
    use std::io::{BufRead as _, BufReader};
    let mut child = Command::new(binary())
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let running = Running(child);
    let mut line = String::new();
    loop {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "{args:?} ended");
        if line.contains(marker) {
            break;
        }
    }
    // Keep reading in the background so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in reader.lines() {});
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    (running, url)
}

async fn log_info(base: &str) -> Value {
    let client = prasasti::ledger::http::client().unwrap();
    let response = client
        .get(format!("{base}/api/v1/log"))
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

/// Whether the server's /api/v1/log says its newest checkpoint is witnessed.
fn fully_witnessed(log: &Value) -> bool {
    log["witnessed"]["tree_size"].as_u64().is_some()
        && log["witnessed"]["tree_size"] == log["tree_size"]
}

/// Waits until `check` holds of the server's /api/v1/log.
async fn wait_for_log(base: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let log = log_info(base).await;
        if check(&log) {
            return log;
        }
        assert!(std::time::Instant::now() < deadline, "{log}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_witness_processes_cosign_the_ledger_and_a_forked_copy_gets_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = prasasti(
        &[
            "init",
            "--origin",
            "karanganyar.example/prasasti",
            "--keys",
            "k",
        ],
        d,
    );
    assert!(out.status.success(), "{}", text(&out));
    let log_vkey = std::fs::read_to_string(d.join("k/ledger.vkey")).unwrap();
    std::fs::write(d.join("logs"), format!("log {}", log_vkey.trim())).unwrap();

    // Two witnesses, each its own process with its own key and database.
    let mut policy = format!("log {}\n", log_vkey.trim());
    let mut witnesses = Vec::new();
    for name in ["inspektorat", "dprd"] {
        let keys = format!("wk-{name}");
        let out = prasasti(
            &[
                "witness",
                "init",
                "--name",
                &format!("saksi.{name}.example"),
                "--keys",
                &keys,
            ],
            d,
        );
        assert!(out.status.success(), "{}", text(&out));
        let database = format!("sqlite://{name}.db");
        let (process, url) = start(
            &[
                "witness",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--keys",
                &keys,
                "--database",
                &database,
                "--logs",
                "logs",
            ],
            d,
            "witness serving",
        );
        let vkey = std::fs::read_to_string(d.join(&keys).join("witness.vkey")).unwrap();
        let base = url.trim_end_matches("/add-checkpoint");
        policy.push_str(&format!("witness {name} {} {base}\n", vkey.trim()));
        witnesses.push(process);
    }
    policy.push_str("group both all inspektorat dprd\nquorum both\n");
    std::fs::write(d.join("policy"), &policy).unwrap();

    // The ledger publishes the demonstration once both cosigned it.
    let (_ledger, base) = start(
        &[
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--keys",
            "k",
            "--witness-policy",
            "policy",
        ],
        d,
        "serving ledger",
    );
    let log = wait_for_log(&base, fully_witnessed).await;
    assert!(log["tree_size"].as_u64().unwrap() > 50, "{log}");
    let client = prasasti::ledger::http::client().unwrap();
    let out = prasasti(
        &[
            "verify", "--server", &base, "--policy", "policy", "--state", "st",
        ],
        d,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("witnessed: cosigned by inspektorat at"),
        "{}",
        text(&out)
    );
    // One entry's offline proof carries the cosignatures too.
    for (path, file) in [
        ("/api/v1/entries/5/proof", "p5"),
        ("/api/v1/entries/5", "e5"),
    ] {
        let body = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        std::fs::write(d.join(file), body).unwrap();
    }
    let out = prasasti(
        &["check-proof", "--policy", "policy", "--proof", "p5", "e5"],
        d,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("witnessed: cosigned by inspektorat at"),
        "{}",
        text(&out)
    );
    // An auditor whose policy also needs a third witness refuses it.
    let out = prasasti(
        &[
            "witness",
            "init",
            "--name",
            "saksi.kampus.example",
            "--keys",
            "wk-kampus",
        ],
        d,
    );
    assert!(out.status.success(), "{}", text(&out));
    let kampus = std::fs::read_to_string(d.join("wk-kampus/witness.vkey")).unwrap();
    let stricter = policy.replace(
        "group both all inspektorat dprd\n",
        &format!(
            "witness kampus {}\ngroup both all inspektorat dprd kampus\n",
            kampus.trim()
        ),
    );
    std::fs::write(d.join("stricter"), stricter).unwrap();
    let out = prasasti(
        &[
            "verify", "--server", &base, "--policy", "stricter", "--state", "st2",
        ],
        d,
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("quorum is not met"), "{}", text(&out));
    let out = prasasti(
        &["check-proof", "--policy", "stricter", "--proof", "p5", "e5"],
        d,
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("quorum is not met"), "{}", text(&out));

    // A copy with the same key and another history: never cosigned.
    let out = prasasti(
        &[
            "demo",
            "--database",
            "sqlite://fork.db",
            "--keys",
            "k",
            "--demo-keys",
            "dk2",
        ],
        d,
    );
    assert!(out.status.success(), "{}", text(&out));
    let (_fork, fork) = start(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--keys",
            "k",
            "--database",
            "sqlite://fork.db",
            "--witness-policy",
            "policy",
        ],
        d,
        "serving ledger",
    );
    let log = wait_for_log(&fork, |log| {
        log["witnesses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["problem"]["kind"] == "alarm")
    })
    .await;
    assert_eq!(log["witnessed"], Value::Null, "{log}");
    let client = prasasti::ledger::http::client().unwrap();
    let status = client
        .get(format!("{fork}/checkpoint"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 503);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_runs_two_demo_witnesses_whose_policy_the_auditor_uses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_server, base) = start(
        &[
            "serve",
            "--demo",
            "--init",
            "--origin",
            "demo.example/prasasti",
            "--listen",
            "127.0.0.1:0",
        ],
        d,
        "serving ledger",
    );
    let log = wait_for_log(&base, fully_witnessed).await;
    let names: Vec<&str> = log["witnesses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["inspektorat-demo", "dprd-demo"]);
    let policy = std::fs::read_to_string(d.join("demo-witnesses/witness-policy.txt")).unwrap();
    assert!(policy.starts_with("# DEMO"), "{policy}");
    let out = prasasti(
        &[
            "verify",
            "--server",
            &base,
            "--policy",
            "demo-witnesses/witness-policy.txt",
            "--state",
            "st",
        ],
        d,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("cosigned by inspektorat-demo at"),
        "{}",
        text(&out)
    );
}
