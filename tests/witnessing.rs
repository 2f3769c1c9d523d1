//! The log with witnesses, on SQLite and PostgreSQL: a checkpoint is
//! published only when the policy's quorum cosigned it (2-of-2 and
//! 1-of-2), a witness that is down stops the witnessed size but not the
//! appends, a restarted log learns each witness's size from a 409, a forked
//! copy of the ledger gets no cosignature, rounds run at most once per
//! interval under sustained appends, and the auditor's `--policy` checks
//! the quorum.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use prasasti::ledger::statement::{VerifiedEnvelope, seal};
use prasasti::ledger::verify::{self, Source, VerifyError};
use prasasti::ledger::witnessing;
use prasasti::store::Store;
use prasasti::tlog::cosignature::Cosigner;
use prasasti::tlog::policy::{Policy, QuorumError};
use prasasti::witness::Witness;
use serde_json::Value;

use crate::common::*;

/// A witness of the test ledger served on a local port, counting the
/// requests it gets.
pub(crate) struct TestWitness {
    pub(crate) name: &'static str,
    pub(crate) cosigner: Cosigner,
    pub(crate) base: String,
    requests: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _db: TestDb,
}

impl TestWitness {
    pub(crate) async fn start(name: &'static str, seed: u8) -> TestWitness {
        let db = TestDb::sqlite();
        let key = || Cosigner::from_seed(&format!("saksi.example/{name}"), [seed; 32]).unwrap();
        let (cosigner, store) = (key(), Store::connect(&db.url).await.unwrap());
        let witness = Witness::new(key(), vec![ledger_key().verifier()], store);
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = requests.clone();
        let router = witness.router().layer(axum::middleware::from_fn(
            move |request, next: axum::middleware::Next| {
                counted.fetch_add(1, Ordering::SeqCst);
                next.run(request)
            },
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        TestWitness {
            name,
            cosigner,
            base,
            requests,
            stop: Some(tx),
            _db: db,
        }
    }

    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    fn line(&self) -> String {
        format!(
            "witness {} {} {}\n",
            self.name,
            self.cosigner.verifier().to_vkey_string(),
            self.base
        )
    }
}

/// A policy for the test ledger: its log line, `witnesses`, and the
/// `quorum` lines.
pub(crate) fn policy(witnesses: &[&TestWitness], quorum: &str) -> Policy {
    let mut text = format!("log {}\n", ledger_key().verifier().to_vkey_string());
    for w in witnesses {
        text.push_str(&w.line());
    }
    text.push_str(quorum);
    Policy::parse(&text).unwrap()
}

/// The Inspektorat's and the DPRD's witnesses, a policy needing both, and
/// a ledger on `db` under it.
async fn both_witnessing(db: TestDb) -> (TestWitness, TestWitness, Policy, TestApp) {
    let (inspektorat, dprd) = (
        TestWitness::start("inspektorat", 11).await,
        TestWitness::start("dprd", 12).await,
    );
    let both = policy(
        &[&inspektorat, &dprd],
        "group g all inspektorat dprd\nquorum g\n",
    );
    let app = TestApp::spawn_witnessed(db, both.clone()).await;
    (inspektorat, dprd, both, app)
}

async fn append(app: &TestApp, id: &str) {
    let envelope = VerifiedEnvelope::check(signed(id), ORIGIN).unwrap();
    app.ledger.submit(envelope).await.unwrap();
}

async fn checkpoint(app: &TestApp) -> (u16, String) {
    let response = app.get("/checkpoint").await;
    (response.status().as_u16(), response.text().await.unwrap())
}

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

fn cosigned_by(policy: &Policy, note: &str) -> Vec<String> {
    match policy.check(note, &ledger_key().verifier(), now()) {
        Ok(cosigners) => cosigners.into_iter().map(|(n, _)| n).collect(),
        Err(QuorumError::Unmet { cosigned }) => cosigned,
        Err(e) => panic!("{e}"),
    }
}

async fn audit(app: &TestApp, policy: Policy) -> Result<verify::Report, VerifyError> {
    let options = verify::Options {
        verifier: ledger_key().verifier(),
        state_file: None,
        policy: Some(policy),
        progress: Default::default(),
    };
    let source = Source::Server {
        base: app.base.clone(),
    };
    verify::verify(&source, &options).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_checkpoints_both_witnesses_cosigned_are_published() {
    on_each_backend(|db| async move {
        let (inspektorat, mut dprd, both, app) = both_witnessing(db).await;

        // Nothing is published before the witnesses cosigned.
        let (status, body) = checkpoint(&app).await;
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("not_witnessed_yet"), "{body}");
        let (_, log) = app.get_json("/api/v1/log").await;
        assert_eq!(log["witnessed"], Value::Null);
        assert_eq!(log["tree_size"], 1);

        assert!(witnessing::round(&app.ledger).await.unwrap());
        let (status, note) = checkpoint(&app).await;
        assert_eq!(status, 200);
        assert_eq!(cosigned_by(&both, &note), ["inspektorat", "dprd"]);

        // Growth: the next round proves consistency from what each holds.
        for i in 0..3 {
            append(&app, &format!("doc-{i}")).await;
        }
        assert!(witnessing::round(&app.ledger).await.unwrap());
        assert!(
            !witnessing::round(&app.ledger).await.unwrap(),
            "nothing new"
        );
        let (_, note) = checkpoint(&app).await;
        assert!(note.starts_with(&format!("{ORIGIN}\n4\n")), "{note}");
        // Proofs are made against the witnessed checkpoint.
        let proof = app
            .get("/api/v1/entries/3/proof")
            .await
            .text()
            .await
            .unwrap();
        assert!(proof.ends_with(&note), "{proof}");
        let report = audit(&app, both.clone()).await.unwrap();
        assert_eq!(report.checkpoint.size, 4);
        assert_eq!(report.cosigners.len(), 2);

        // One witness down: appends go on, the witnessed size stays, and
        // the status says which witness does not answer.
        dprd.stop();
        append(&app, "doc-3").await;
        let (status, _) = app.submit(&signed("doc-4")).await;
        assert_eq!(status, 201);
        assert!(!witnessing::round(&app.ledger).await.unwrap());
        let (_, note) = checkpoint(&app).await;
        assert!(note.starts_with(&format!("{ORIGIN}\n4\n")), "{note}");
        let (_, log) = app.get_json("/api/v1/log").await;
        assert_eq!(log["tree_size"], 6);
        assert_eq!(log["witnessed"]["tree_size"], 4);
        assert_eq!(log["witnesses"][0]["name"], "inspektorat");
        assert_eq!(log["witnesses"][0]["cosigned_size"], 6);
        assert_eq!(log["witnesses"][0]["problem"], Value::Null);
        assert_eq!(log["witnesses"][1]["cosigned_size"], 4);
        assert_eq!(log["witnesses"][1]["problem"]["kind"], "unreachable");
        assert!(log["witness_policy"].as_str().unwrap().contains("quorum g"));
        // The site says so plainly.
        let home = app.get("/").await.text().await.unwrap();
        assert!(home.contains("Log ini belum disaksikan sejak"), "{home}");
        assert!(home.contains("tidak menjawab"), "{home}");
        // A proof of an entry the witnesses have not seen yet is made
        // against the newest signed checkpoint.
        let proof = app
            .get("/api/v1/entries/5/proof")
            .await
            .text()
            .await
            .unwrap();
        assert!(proof.contains(&format!("{ORIGIN}\n6\n")), "{proof}");

        // An auditor whose policy needs a witness that never signed fails.
        let never = TestWitness::start("kampus", 13).await;
        let stricter = policy(
            &[&inspektorat, &dprd, &never],
            "group g all inspektorat dprd kampus\nquorum g\n",
        );
        match audit(&app, stricter).await {
            Err(VerifyError::Witnesses(QuorumError::Unmet { cosigned })) => {
                assert_eq!(cosigned, ["dprd", "inspektorat"])
            }
            other => panic!("{other:?}"),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_two_is_enough_when_the_policy_says_so() {
    on_each_backend(|db| async move {
        let (up, mut down) = (
            TestWitness::start("inspektorat", 11).await,
            TestWitness::start("dprd", 12).await,
        );
        down.stop();
        let either = policy(&[&up, &down], "group g any inspektorat dprd\nquorum g\n");
        let app = TestApp::spawn_witnessed(db, either.clone()).await;
        append(&app, "doc-0").await;
        assert!(witnessing::round(&app.ledger).await.unwrap());
        let (_, note) = checkpoint(&app).await;
        assert!(note.starts_with(&format!("{ORIGIN}\n2\n")), "{note}");
        assert_eq!(cosigned_by(&either, &note), ["inspektorat"]);
        assert!(audit(&app, either).await.is_ok());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_log_resyncs_and_a_forked_copy_gets_no_cosignature() {
    on_each_backend(|db| async move {
        let (inspektorat, _dprd, both, app) = both_witnessing(db).await;
        append(&app, "doc-0").await;
        assert!(witnessing::round(&app.ledger).await.unwrap());

        // Another server on the same database knows nothing of the
        // witnesses' sizes: it sends `old 0`, learns the size from the 409
        // and proves consistency from it.
        let state = open_app_witnessed(&app.db, both.clone()).await;
        let restarted = state.ledger.clone();
        append(&app, "doc-1").await;
        let before = inspektorat.requests.load(Ordering::SeqCst);
        assert!(witnessing::round(&restarted).await.unwrap());
        assert_eq!(inspektorat.requests.load(Ordering::SeqCst) - before, 2);
        let (_, note) = checkpoint(&app).await;
        assert!(note.starts_with(&format!("{ORIGIN}\n3\n")), "{note}");

        // A copy of the ledger with the same key and another history: both
        // witnesses refuse it, nothing is published, and the alarm shows.
        let fork_db = TestDb::sqlite();
        let fork = TestApp::spawn_witnessed(fork_db, both.clone()).await;
        let other = seal(&document("doc-0"), &official(1));
        fork.ledger
            .submit(VerifiedEnvelope::check(other, ORIGIN).unwrap())
            .await
            .unwrap();
        let other = seal(&document("another-history"), &official(1));
        fork.ledger
            .submit(VerifiedEnvelope::check(other, ORIGIN).unwrap())
            .await
            .unwrap();
        assert!(!witnessing::round(&fork.ledger).await.unwrap());
        let (status, _) = checkpoint(&fork).await;
        assert_eq!(status, 503);
        let (_, log) = fork.get_json("/api/v1/log").await;
        for w in log["witnesses"].as_array().unwrap() {
            assert_eq!(w["problem"]["kind"], "alarm", "{log}");
            assert!(
                w["problem"]["message"].as_str().unwrap().contains("422"),
                "{log}"
            );
        }
        // The real log is still witnessed as before.
        let (_, note) = checkpoint(&app).await;
        assert!(note.starts_with(&format!("{ORIGIN}\n3\n")), "{note}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_sustained_appends_rounds_run_at_most_once_per_interval() {
    on_each_backend(|db| async move {
        let (inspektorat, dprd, both, app) = both_witnessing(db).await;
        let interval = Duration::from_millis(200);
        let started = Instant::now();
        let rounds = witnessing::spawn(&app.ledger, interval).unwrap();
        let mut tasks = Vec::new();
        for writer in 0..4 {
            let (base, client) = (app.base.clone(), app.client.clone());
            tasks.push(tokio::spawn(async move {
                for i in 0..25 {
                    let envelope = signed(&format!("doc-{writer}-{i}"));
                    let response = client
                        .post(format!("{base}/api/v1/entries"))
                        .json(&envelope)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 201);
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        // The witnessed checkpoint catches up with the log.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (_, log) = app.get_json("/api/v1/log").await;
            if log["witnessed"]["tree_size"] == 101 {
                break;
            }
            assert!(Instant::now() < deadline, "not witnessed: {log}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let elapsed = started.elapsed();
        rounds.abort();
        // Each round asks a witness once, or twice after a 409.
        let most = 2 * (elapsed.as_millis() / interval.as_millis() + 1) as usize;
        for w in [&inspektorat, &dprd] {
            let asked = w.requests.load(Ordering::SeqCst);
            assert!(asked <= most, "{asked} requests in {elapsed:?}");
        }
        let (_, note) = checkpoint(&app).await;
        assert_eq!(cosigned_by(&both, &note), ["inspektorat", "dprd"]);
    })
    .await;
}
