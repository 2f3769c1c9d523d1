//! The signing desk's API on SQLite and PostgreSQL: the dry run agrees
//! with real appends over the whole demonstration story co-signed through
//! drafts; every draft refusal answers its status and code and changes
//! nothing; drafts survive a restart and are shared by two servers.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey};
use prasasti::desk::{DeskLimits, withdrawal_message};
use prasasti::governance::demo::{self, Step, demo_key};
use prasasti::ledger::statement::{Envelope, PAYLOAD_TYPE, VerifiedEnvelope, keyid_of, pae, seal};
use serde_json::{Value, json};

use crate::common::*;

/// A DSSE signature by `key` over the envelope's payload, as the desk
/// and `POST /api/v1/drafts/{id}/signatures` take it.
fn signature(envelope: &Envelope, key: &SigningKey) -> Value {
    let payload = STANDARD.decode(&envelope.payload).expect("payload");
    let sig = key.sign(&pae(PAYLOAD_TYPE, &payload));
    json!({"keyid": keyid_of(&key.verifying_key()), "sig": STANDARD.encode(sig.to_bytes())})
}

fn key(name: &str) -> SigningKey {
    demo_key(ORIGIN, name)
}

fn body(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("json")
}

/// Writes the story's steps before `until` straight to the ledger.
async fn write_story(app: &TestApp, steps: &[Step], until: usize) {
    for (index, step) in steps[..until].iter().enumerate() {
        let mut envelope = demo::seal_step(ORIGIN, step);
        if index == 0 {
            envelope = consented(envelope);
        }
        let verified = VerifiedEnvelope::check(envelope, ORIGIN).expect("story step");
        app.ledger
            .submit(verified)
            .await
            .expect("story step appended");
    }
}

/// A served ledger holding the story up to its first commitment made by
/// two offices; that step, and its index.
async fn before_a_co_signed_commitment(db: TestDb) -> (TestApp, Step, usize) {
    let app = TestApp::spawn_empty(db).await;
    let steps = demo::story(ORIGIN);
    let at = co_signed_step(&steps, 1, "commitment.make");
    write_story(&app, &steps, at).await;
    (app, steps[at].clone(), at)
}

/// The first step from `from` signed by two or more keys.
fn co_signed_step(steps: &[Step], from: usize, kind: &str) -> usize {
    (from..steps.len())
        .find(|&i| steps[i].signers.len() >= 2 && steps[i].statement["type"] == kind)
        .expect("a co-signed step of that type")
}

#[tokio::test]
async fn the_whole_story_co_signed_through_drafts_and_the_dry_run_agrees_with_every_append() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn_empty(db).await;
        let steps = demo::story(ORIGIN);
        write_story(&app, &steps, 1).await;
        for (index, step) in steps.iter().enumerate().skip(1) {
            let first = seal(&step.statement, &key(step.signers[0]));
            // The dry run on the first signature alone.
            let (status, check) = app.post_to("/api/v1/entries/check", body(&first)).await;
            assert_eq!(status, 200, "{check}");
            let size = app.tree_size().await;
            let (status, draft) = app.post_to("/api/v1/drafts", body(&first)).await;
            assert_eq!(status, 201, "step {index}: {draft}");
            if check["acceptable"] == true {
                assert_eq!(draft["status"], "submitted", "step {index}: {draft}");
                assert_eq!(draft["entry"], index as u64, "step {index}");
                continue;
            }
            // Refused now, as a real append would be; nothing was written.
            assert_eq!(
                check["error"]["code"], "unauthorized_signer",
                "step {index}: {check}"
            );
            assert_eq!(check["status"], 403);
            assert!(!check["missing"].as_array().expect("missing").is_empty());
            assert_eq!(app.tree_size().await, size, "step {index}");
            let (status, direct) = app.submit(&first).await;
            assert_eq!(
                (status, &direct["error"]["code"]),
                (403, &check["error"]["code"])
            );
            assert_eq!(draft["status"], "pending", "step {index}: {draft}");
            assert_eq!(draft["missing"], check["missing"], "step {index}");
            let id = draft["id"].as_str().expect("id").to_owned();
            let mut latest = draft;
            for name in &step.signers[1..] {
                let sig = signature(&first, &key(name));
                let (status, next) = app
                    .post_to(&format!("/api/v1/drafts/{id}/signatures"), body(&sig))
                    .await;
                assert_eq!(status, 200, "step {index}, {name}: {next}");
                latest = next;
                if latest["status"] == "submitted" {
                    break;
                }
            }
            assert_eq!(latest["status"], "submitted", "step {index}: {latest}");
            assert_eq!(latest["entry"], index as u64, "step {index}");
            assert!(latest["missing"].as_array().expect("missing").is_empty());
            // The dry run of the entry now in the log says so.
            let entry = app.get_json(&format!("/api/v1/entries/{index}")).await.1;
            let (_, again) = app
                .post_to("/api/v1/entries/check", body(&entry["entry"]["envelope"]))
                .await;
            assert_eq!(
                (again["acceptable"].clone(), again["entry"].clone()),
                (json!(true), json!(index))
            );
        }
        assert_eq!(app.tree_size().await, steps.len() as u64);
        let (status, listed) = app.get_json("/api/v1/drafts?status=submitted").await;
        assert_eq!(status, 200);
        assert!(!listed.as_array().expect("list").is_empty());
    })
    .await;
}

/// What must not change when the desk refuses: the log and the draft.
async fn unchanged(app: &TestApp, size: u64, id: &str, draft: &Value) {
    assert_eq!(app.tree_size().await, size);
    let (_, now) = app.get_json(&format!("/api/v1/drafts/{id}")).await;
    assert_eq!(now["envelope"], draft["envelope"]);
    assert_eq!(now["status"], draft["status"]);
}

#[tokio::test]
async fn every_draft_refusal_has_its_status_and_code_and_changes_nothing() {
    on_each_backend(|db| async move {
        let (app, step, _) = before_a_co_signed_commitment(db).await;
        let step = &step;
        let owner = key(step.signers[0]);
        let envelope = seal(&step.statement, &owner);
        let (status, draft) = app.post_to("/api/v1/drafts", body(&envelope)).await;
        assert_eq!(status, 201, "{draft}");
        let id = draft["id"].as_str().expect("id").to_owned();
        let size = app.tree_size().await;
        let sign_path = format!("/api/v1/drafts/{id}/signatures");

        let mut cases: Vec<(&str, String, Vec<u8>, u16, &str)> = Vec::new();
        let mut forged = signature(&envelope, &key(step.signers[1]));
        forged["sig"] = json!(STANDARD.encode([7u8; 64]));
        cases.push(("bad signature", sign_path.clone(), body(&forged), 422, "invalid_signature"));
        cases.push((
            "the same key again",
            sign_path.clone(),
            body(&signature(&envelope, &owner)),
            422,
            "duplicate_key",
        ));
        cases.push((
            "a key that meets nothing the draft lacks",
            sign_path.clone(),
            body(&signature(&envelope, &key("registrar-setda"))),
            422,
            "signature_not_needed",
        ));
        cases.push((
            "a key with no mandate at all",
            sign_path.clone(),
            body(&signature(&envelope, &key("intruder"))),
            422,
            "signature_not_needed",
        ));
        cases.push(("not JSON", sign_path.clone(), b"{".to_vec(), 400, "malformed_request"));
        cases.push((
            "an unknown field",
            sign_path.clone(),
            body(&json!({"keyid": "00", "sig": "", "extra": 1})),
            400,
            "malformed_request",
        ));
        cases.push((
            "a draft nobody opened",
            "/api/v1/drafts/0123/signatures".into(),
            body(&signature(&envelope, &key(step.signers[1]))),
            404,
            "draft_not_found",
        ));
        cases.push((
            "the same statement again",
            "/api/v1/drafts".into(),
            body(&envelope),
            409,
            "draft_exists",
        ));
        cases.push((
            "a draft signed only by a key without mandate",
            "/api/v1/drafts".into(),
            body(&seal(&step.statement, &key("intruder"))),
            403,
            "signer_without_mandate",
        ));
        let mut huge = step.statement.clone();
        huge.insert("id".into(), json!("huge-draft"));
        huge.insert("padding".into(), json!("x".repeat(70_000)));
        cases.push((
            "an oversize envelope",
            "/api/v1/drafts".into(),
            body(&seal(&huge, &owner)),
            413,
            "envelope_too_large",
        ));
        let mut wrong = step.statement.clone();
        wrong.insert("id".into(), json!("draft-with-a-bad-field"));
        wrong["commitment"]["budget"]["amount"] = json!("-5");
        cases.push((
            "a statement no signature can mend",
            "/api/v1/drafts".into(),
            body(&seal(&wrong, &owner)),
            422,
            "invalid_statement",
        ));
        let withdraw_path = format!("/api/v1/drafts/{id}/withdraw");
        let message = withdrawal_message(ORIGIN, &id, step.statement["id"].as_str().expect("id"));
        let by = |k: &SigningKey, m: &[u8]| {
            json!({"keyid": keyid_of(&k.verifying_key()), "sig": STANDARD.encode(k.sign(m).to_bytes())})
        };
        cases.push((
            "a withdrawal by a key that did not sign",
            withdraw_path.clone(),
            body(&by(&key(step.signers[1]), &message)),
            403,
            "not_a_signer",
        ));
        cases.push((
            "a withdrawal signed over another message",
            withdraw_path.clone(),
            body(&by(&owner, b"withdraw it")),
            422,
            "invalid_signature",
        ));
        for (what, path, request, status, code) in cases {
            let (got, answer) = app.post_to(&path, request).await;
            assert_eq!(got, status, "{what}: {answer}");
            assert_eq!(answer["error"]["code"], code, "{what}: {answer}");
            unchanged(&app, size, &id, &draft).await;
        }
        let (status, listed) = app.get_json("/api/v1/drafts?status=lost").await;
        assert_eq!((status, &listed["error"]["code"]), (400, &json!("invalid_parameters")));

        // Withdrawn by its signer; then nothing more can be added.
        let (status, withdrawn) = app.post_to(&withdraw_path, body(&by(&owner, &message))).await;
        assert_eq!((status, &withdrawn["status"]), (200, &json!("withdrawn")), "{withdrawn}");
        let (status, answer) = app
            .post_to(&sign_path, body(&signature(&envelope, &key(step.signers[1]))))
            .await;
        assert_eq!((status, &answer["error"]["code"]), (409, &json!("draft_withdrawn")));
        assert_eq!(app.tree_size().await, size);
    })
    .await;
}

#[tokio::test]
async fn an_expired_draft_takes_no_more_signatures() {
    on_each_backend(|db| async move {
        let mut config = test_config();
        config.desk = DeskLimits {
            draft_lifetime: Duration::from_millis(300),
            ..Default::default()
        };
        let (app, step, _) = before_a_co_signed_commitment(db).await;
        let (base, _stop) = another_server(&app.db, config).await;
        let envelope = seal(&step.statement, &key(step.signers[0]));
        let (status, draft) = post_to(&app.client, &base, "/api/v1/drafts", body(&envelope)).await;
        assert_eq!(status, 201, "{draft}");
        let id = draft["id"].as_str().expect("id");
        tokio::time::sleep(Duration::from_millis(400)).await;
        let size = app.tree_size().await;
        let sig = signature(&envelope, &key(step.signers[1]));
        let (status, answer) = post_to(
            &app.client,
            &base,
            &format!("/api/v1/drafts/{id}/signatures"),
            body(&sig),
        )
        .await;
        assert_eq!(
            (status, &answer["error"]["code"]),
            (410, &json!("draft_expired")),
            "{answer}"
        );
        assert_eq!(app.tree_size().await, size);
        let (_, now) = app.get_json(&format!("/api/v1/drafts/{id}")).await;
        assert_eq!(now["status"], "expired");
        let (_, listed) = app.get_json("/api/v1/drafts?status=expired").await;
        assert_eq!(listed.as_array().map(Vec::len), Some(1));
    })
    .await;
}

#[tokio::test]
async fn drafts_survive_a_restart_and_two_servers_share_them() {
    on_each_backend(|db| async move {
        let (app, step, at) = before_a_co_signed_commitment(db).await;
        let step = &step;
        let envelope = seal(&step.statement, &key(step.signers[0]));
        // Opened on one server, which then stops.
        let (first, stop) = another_server(&app.db, test_config()).await;
        let (status, draft) = post_to(&app.client, &first, "/api/v1/drafts", body(&envelope)).await;
        assert_eq!(status, 201, "{draft}");
        let id = draft["id"].as_str().expect("id").to_owned();
        let _ = stop.send(());
        // Another server finds it, by id and in the office's inbox.
        let (second, _stop) = another_server(&app.db, test_config()).await;
        let (status, found) = app.get_json(&format!("/api/v1/drafts/{id}")).await;
        assert_eq!((status, &found["envelope"]), (200, &draft["envelope"]));
        let office = found["signed_by"][0]["offices"][0]
            .as_str()
            .expect("office")
            .to_owned();
        let (_, inbox) = app
            .get_json(&format!("/api/v1/drafts?office={office}&status=pending"))
            .await;
        assert_eq!(inbox[0]["id"], json!(id));
        // Both servers add signatures; the last makes the entry.
        let mut servers = [second.as_str(), app.base.as_str()].into_iter().cycle();
        let mut latest = found;
        for name in &step.signers[1..] {
            let sig = signature(&envelope, &key(name));
            let base = servers.next().expect("server");
            let (status, next) = post_to(
                &app.client,
                base,
                &format!("/api/v1/drafts/{id}/signatures"),
                body(&sig),
            )
            .await;
            assert_eq!(status, 200, "{next}");
            latest = next;
            if latest["status"] == "submitted" {
                break;
            }
        }
        assert_eq!(latest["entry"], at as u64);
        let (_, seen) = post_to(
            &app.client,
            &second,
            "/api/v1/entries/check",
            body(&envelope),
        )
        .await;
        assert_eq!(seen["error"]["code"], "statement_id_conflict", "{seen}");
    })
    .await;
}

/// For statements of the story changed at random and submitted after the
/// whole story, the dry run says acceptable exactly when the append is
/// accepted, and otherwise answers the append's own status and code.
#[test]
fn the_dry_run_says_acceptable_exactly_when_the_append_accepts() {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(demo_app(TestDb::sqlite()));
    let steps = demo::story(ORIGIN);
    // A fixed seed: the same statements on every run.
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 64,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    runner
        .run(
            &(0usize..1000, 0u8..4, 0usize..1000, 0usize..1000, 1u32..64),
            |(pick, kind, a, b, mask)| {
                let step = crate::governance_properties::mutated(&steps, pick, kind, a, b, mask);
                let envelope = demo::seal_step(ORIGIN, &step);
                runtime.block_on(async {
                    let (status, check) =
                        app.post_to("/api/v1/entries/check", body(&envelope)).await;
                    assert_eq!(status, 200, "{check}");
                    let (status, appended) = app.submit(&envelope).await;
                    if check["acceptable"] == true {
                        assert_eq!(status, 201, "check {check} but append {appended}");
                    } else {
                        assert_eq!(
                            check["status"], status,
                            "check {check} but append {appended}"
                        );
                        assert_eq!(check["error"]["code"], appended["error"]["code"]);
                        assert_eq!(check["error"]["message"], appended["error"]["message"]);
                    }
                });
                Ok(())
            },
        )
        .unwrap();
    // And one that is accepted: a document registered by a current head of office.
    let document = Step {
        statement: document("desk-property-document"),
        signers: vec!["dewi"],
    };
    let envelope = demo::seal_step(ORIGIN, &document);
    runtime.block_on(async {
        let (_, check) = app.post_to("/api/v1/entries/check", body(&envelope)).await;
        assert_eq!(check, json!({"acceptable": true}));
        assert_eq!(app.submit(&envelope).await.0, 201);
        let (_, again) = app.post_to("/api/v1/entries/check", body(&envelope)).await;
        assert_eq!(again["acceptable"], true);
        assert_eq!(again["entry"], app.tree_size().await - 1);
    });
}

#[tokio::test]
async fn a_key_may_hold_only_so_many_pending_drafts() {
    on_each_backend(|db| async move {
        let (app, step, _) = before_a_co_signed_commitment(db).await;
        let mut config = test_config();
        config.desk = DeskLimits {
            pending_per_key: 1,
            ..Default::default()
        };
        let (base, _stop) = another_server(&app.db, config).await;
        let owner = key(step.signers[0]);
        let (status, first) = post_to(
            &app.client,
            &base,
            "/api/v1/drafts",
            body(&seal(&step.statement, &owner)),
        )
        .await;
        assert_eq!(status, 201, "{first}");
        let mut second = step.statement.clone();
        second.insert("id".into(), json!("a-second-draft"));
        let (status, answer) = post_to(
            &app.client,
            &base,
            "/api/v1/drafts",
            body(&seal(&second, &owner)),
        )
        .await;
        assert_eq!(
            (status, &answer["error"]["code"]),
            (429, &json!("too_many_drafts")),
            "{answer}"
        );
        let (_, pending) = app.get_json("/api/v1/drafts?status=pending").await;
        assert_eq!(pending.as_array().map(Vec::len), Some(1));
    })
    .await;
}
