//! Interoperability: an independent verifier written in Go on
//! golang.org/x/mod/sumdb/note and tlog (tests/go/verifier) accepts the
//! checkpoint, the hash tiles, the entry bundles and the JSON proofs; with
//! witnesses, it checks their cosignatures with a few lines of its own.
//!
//! Needs Go with golang.org/x/mod in GOPATH (Debian: golang-go and
//! golang-golang-x-mod-dev, installed by .ci/run). Without them the test
//! says it was skipped, unless PRASASTI_REQUIRE_GO is set.

use std::path::PathBuf;
use std::process::Command;

use crate::common::*;

fn go_verifier() -> Option<PathBuf> {
    let gopath = std::env::var("PRASASTI_GOPATH").unwrap_or_else(|_| "/usr/share/gocode".into());
    let have_go = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    let have_mod = PathBuf::from(&gopath)
        .join("src/golang.org/x/mod/sumdb/tlog")
        .is_dir();
    if !have_go || !have_mod {
        let why = format!(
            "Go (found: {have_go}) and golang.org/x/mod in {gopath} (found: {have_mod}) are needed"
        );
        if std::env::var_os("PRASASTI_REQUIRE_GO").is_some() {
            panic!("{why}");
        }
        eprintln!("Go verifier test skipped: {why}");
        return None;
    }
    let out = output_dir("go_verifier");
    let binary = out.join("verifier");
    let build = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(".")
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/go/verifier"))
        .env("GO111MODULE", "off")
        .env("GOPATH", &gopath)
        .env("GOCACHE", out.join("gocache"))
        .env("GOFLAGS", "")
        .output()
        .expect("run go build");
    assert!(
        build.status.success(),
        "go build: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    Some(binary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_sumdb_packages_accept_checkpoint_tiles_bundles_and_proofs() {
    let Some(verifier) = go_verifier() else {
        return;
    };
    on_each_backend(|db| {
        let verifier = verifier.clone();
        async move {
            let app = TestApp::spawn(db).await;
            // With the genesis, 530 entries.
            for i in 1..530 {
                app.submit(&signed(&format!("go{i}"))).await;
            }
            let vkey = ledger_key().verifier().to_vkey_string();
            let run = |key: String| {
                let verifier = verifier.clone();
                let base = app.base.clone();
                tokio::task::spawn_blocking(move || {
                    Command::new(verifier)
                        .args(["-server", &base, "-vkey", &key])
                        .output()
                        .expect("run verifier")
                })
            };
            let out = run(vkey).await.unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{}: {stdout}{}",
                app.db.name,
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(stdout.contains("OK: 530 entries"), "{stdout}");

            // A checkpoint under another key is refused by Go's note package.
            let stranger = prasasti::tlog::note::NoteSigner::from_seed(ORIGIN, [9; 32]).unwrap();
            let out = run(stranger.verifier().to_vkey_string()).await.unwrap();
            assert!(!out.status.success());
            assert!(String::from_utf8_lossy(&out.stderr).contains("checkpoint"));
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_checks_the_witnesses_cosignatures_on_the_published_checkpoint() {
    use crate::witnessing::{TestWitness, policy};
    let Some(verifier) = go_verifier() else {
        return;
    };
    on_each_backend(|db| {
        let verifier = verifier.clone();
        async move {
            let (inspektorat, dprd) = (
                TestWitness::start("inspektorat", 21).await,
                TestWitness::start("dprd", 22).await,
            );
            let stranger = TestWitness::start("kampus", 23).await;
            let both = policy(
                &[&inspektorat, &dprd],
                "group g all inspektorat dprd\nquorum g\n",
            );
            let app = TestApp::spawn_witnessed(db, both).await;
            for i in 1..20 {
                app.submit(&signed(&format!("go{i}"))).await;
            }
            assert!(
                prasasti::ledger::witnessing::round(&app.ledger)
                    .await
                    .unwrap()
            );
            let key = |w: &TestWitness| w.cosigner.verifier().to_vkey_string();
            let run = |witnesses: Vec<String>, quorum: &str| {
                let mut args = vec![
                    "-server".to_owned(),
                    app.base.clone(),
                    "-vkey".to_owned(),
                    ledger_key().verifier().to_vkey_string(),
                    "-quorum".to_owned(),
                    quorum.to_owned(),
                ];
                for w in witnesses {
                    args.extend(["-witness".to_owned(), w]);
                }
                let verifier = verifier.clone();
                tokio::task::spawn_blocking(move || {
                    Command::new(verifier)
                        .args(args)
                        .output()
                        .expect("run verifier")
                })
            };
            let out = run(vec![key(&inspektorat), key(&dprd)], "2").await.unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{}: {stdout}{}",
                app.db.name,
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                stdout.contains("cosigned by saksi.example/dprd at"),
                "{stdout}"
            );
            assert!(stdout.contains("OK: 20 entries"), "{stdout}");
            // A witness that never cosigned does not count.
            let out = run(vec![key(&inspektorat), key(&stranger)], "2")
                .await
                .unwrap();
            assert!(!out.status.success());
            assert!(
                String::from_utf8_lossy(&out.stderr)
                    .contains("1 of the witnesses cosigned, 2 needed")
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_witness_cosigns_a_checkpoint_signed_by_go_not_by_prasasti() {
    use prasasti::tlog::hash::{CompactRange, leaf_hash};
    let Some(verifier) = go_verifier() else {
        return;
    };
    on_each_backend(|db| {
        let verifier = verifier.clone();
        async move {
            let log =
                prasasti::tlog::note::NoteSigner::from_seed("go.example/log", [7; 32]).unwrap();
            let witness = prasasti::witness::Witness::new(
                prasasti::tlog::cosignature::Cosigner::from_seed("saksi.example/go", [8; 32])
                    .unwrap(),
                vec![log.verifier()],
                prasasti::store::Store::connect(&db.url).await.unwrap(),
            );
            let mut tree = CompactRange::default();
            let mut old = 0;
            for size in [3u64, 7] {
                while tree.size() < size {
                    tree.push(leaf_hash(&tree.size().to_be_bytes()));
                }
                let out = Command::new(&verifier)
                    .args([
                        "-sign",
                        &log.to_private_string(),
                        "-size",
                        &size.to_string(),
                    ])
                    .args(["-root", &tree.root().to_base64()])
                    .output()
                    .expect("run the Go signer");
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let checkpoint = String::from_utf8(out.stdout).unwrap();
                let proof = if old == 0 {
                    Vec::new()
                } else {
                    crate::witness::proof(old, size)
                };
                let body = prasasti::tlog::witness::AddCheckpoint {
                    old,
                    proof,
                    checkpoint,
                }
                .to_body();
                let line = witness.add_checkpoint(&body).await.unwrap();
                assert!(line.starts_with("\u{2014} saksi.example/go "), "{line}");
                old = size;
            }
        }
    })
    .await;
}
