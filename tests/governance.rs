//! The governance rules through the HTTP API, on SQLite and PostgreSQL: the
//! Karanganyar story told by an independent signer, one test per refusal
//! rule (status, code, and that neither the log nor the state changed), and
//! the auditor's replay.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use ed25519_dalek::{Signer as _, SigningKey};
use prasasti::governance::audit::{self, StateCheck};
use prasasti::governance::demo::{self, demo_key};
use prasasti::ledger::Ledger;
use prasasti::ledger::statement::{VerifiedEnvelope, keyid_of};
use prasasti::ledger::verify::{Options, Source};
use prasasti::store::Store;
use serde_json::{Value, json};

/// DSSE signing written for this test alone, from the specifications:
/// the payload is the statement's JSON with sorted keys and no whitespace
/// (RFC 8785 for the integers and strings used here), signed over
/// PAE("DSSEv1", type, payload) with plain Ed25519.
fn independent_envelope(statement: &Value, keys: &[SigningKey]) -> Value {
    const TYPE: &str = "application/vnd.prasasti.statement+json";
    let payload = serde_json::to_vec(statement).unwrap();
    let mut pae = format!("DSSEv1 {} {TYPE} {} ", TYPE.len(), payload.len()).into_bytes();
    pae.extend_from_slice(&payload);
    let signatures: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({
                "keyid": hex::encode(k.verifying_key().as_bytes()),
                "sig": STANDARD.encode(k.sign(&pae).to_bytes()),
            })
        })
        .collect();
    json!({"payloadType": TYPE, "payload": STANDARD.encode(&payload), "signatures": signatures})
}

/// A statement of this test ledger signed by the named demo keys.
fn signed_by(kind: &str, id: &str, fields: Value, signers: &[&str]) -> Value {
    let mut statement = fields;
    statement["type"] = kind.into();
    statement["id"] = id.into();
    statement["ledger"] = ORIGIN.into();
    let keys: Vec<SigningKey> = signers.iter().map(|n| demo_key(ORIGIN, n)).collect();
    independent_envelope(&statement, &keys)
}

fn key(name: &str) -> String {
    keyid_of(&demo_key(ORIGIN, name).verifying_key())
}

async fn post(app: &TestApp, envelope: &Value) -> (u16, Value) {
    app.post_json(serde_json::to_vec(envelope).unwrap()).await
}

async fn accepted(app: &TestApp, envelope: &Value) -> u64 {
    let (status, body) = post(app, envelope).await;
    assert_eq!(status, 201, "{body}");
    body["index"].as_u64().unwrap()
}

/// Submits `envelope`, expects the refusal, and checks that neither the log
/// nor the governance state moved. Returns the error message.
async fn refused(app: &TestApp, envelope: &Value, status: u16, code: &str) -> String {
    let size = app.tree_size().await;
    let hash = app.state_hash().await;
    let (got, body) = post(app, envelope).await;
    assert_eq!(
        (got, body["error"]["code"].as_str()),
        (status, Some(code)),
        "{body}"
    );
    assert_eq!(app.tree_size().await, size, "the log changed");
    assert_eq!(app.state_hash().await, hash, "the state changed");
    body["error"]["message"].as_str().unwrap().to_owned()
}

fn status_of<'a>(view: &'a Value, field: &str) -> &'a str {
    view[field].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_karanganyar_story_runs_through_the_api_with_an_independent_signer() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn_empty(db).await;
        for (n, step) in demo::story(ORIGIN).iter().enumerate() {
            let keys: Vec<SigningKey> = step.signers.iter().map(|s| demo_key(ORIGIN, s)).collect();
            let envelope = independent_envelope(&Value::Object(step.statement.clone()), &keys);
            let (status, body) = post(&app, &envelope).await;
            assert_eq!(status, 201, "step {n} ({}): {body}", step.statement["type"]);
            assert_eq!(body["index"], n as u64);
        }

        // Commitments: every status of the continuity rule.
        let expect = [
            ("e-office-semua-opd", "completed"),
            ("portal-satu-data", "active"),
            ("e-ticket-cetho-sukuh", "completed"),
            ("literasi-177-desa", "awaiting_reaffirmation"),
            ("umkm-2000", "active"),
            ("sensor-longsor-12", "active"),
            ("bank-sampah-berjo", "discontinued"),
        ];
        for (id, status) in expect {
            let (code, c) = app.get_json(&format!("/api/v1/commitments/{id}")).await;
            assert_eq!(code, 200);
            assert_eq!(status_of(&c, "status"), status, "{id}");
        }
        let (_, umkm) = app.get_json("/api/v1/commitments/umkm-2000").await;
        assert_eq!(umkm["versions"].as_array().unwrap().len(), 2);
        assert_eq!(umkm["versions"][1]["budget"]["amount"], "2100000000");
        let (_, bank) = app.get_json("/api/v1/commitments/bank-sampah-berjo").await;
        let last = bank["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "discontinued");
        assert!(last["text"].as_str().unwrap().contains("provinsi"));

        // Milestones: derived and assessed statuses.
        for (id, shown) in [
            ("e-office-pilot", "met"),
            ("umkm-onboarding-1000", "partiallyMet"),
            ("sensor-longsor-install", "overdue"),
            ("e-ticket-live", "met"),
        ] {
            let (_, m) = app.get_json(&format!("/api/v1/milestones/{id}")).await;
            assert_eq!(status_of(&m, "shown_status"), shown, "{id}");
        }
        let (_, pilot) = app.get_json("/api/v1/milestones/e-office-pilot").await;
        let approvals = pilot["reports"][0]["approvals"].as_array().unwrap();
        let offices: Vec<&str> = approvals
            .iter()
            .map(|a| a["office"].as_str().unwrap())
            .collect();
        assert_eq!(offices, ["bappeda", "inspektorat"]);
        assert_eq!(approvals[1]["signer"]["name"], "Siti Rahmawati, S.E., Ak.");

        // Programmes: filters, pages and the full view.
        let (_, page) = app.get_json("/api/v1/programmes").await;
        assert_eq!(page["total"], 7);
        let pillars: std::collections::BTreeSet<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["pillar"].as_str().unwrap())
            .collect();
        assert_eq!(pillars.len(), 6, "all six pillars");
        let (_, page) = app.get_json("/api/v1/programmes?horizon=long").await;
        assert_eq!(page["items"][0]["id"], "bank-sampah-digital");
        let (_, page) = app
            .get_json("/api/v1/programmes?status=awaiting_reaffirmation")
            .await;
        assert_eq!(page["items"][0]["id"], "literasi-digital-desa");
        let (_, page) = app
            .get_json("/api/v1/programmes?owner=diskominfo&per_page=2&page=2")
            .await;
        assert_eq!(
            (
                page["total"].as_u64(),
                page["items"].as_array().unwrap().len()
            ),
            (Some(3), 1)
        );
        let (code, bad) = app.get_json("/api/v1/programmes?horizon=forever").await;
        assert_eq!(
            (code, bad["error"]["code"].as_str()),
            (400, Some("invalid_parameters"))
        );
        let (_, p) = app.get_json("/api/v1/programmes/satu-data").await;
        assert_eq!(p["status"], "active");
        assert_eq!(p["audit_notes"][0]["severity"], "medium");
        assert_eq!(
            p["audit_notes"][0]["responses"].as_array().unwrap().len(),
            1
        );
        assert!(p["entries"].as_array().unwrap().len() > 5);
        assert_eq!(p["office_names"]["diskominfo"], "Kepala Diskominfo");
        let (code, _) = app.get_json("/api/v1/programmes/nothing-here").await;
        assert_eq!(code, 404);

        // Offices, mandates and keys.
        let (_, bupati) = app.get_json("/api/v1/offices/bupati").await;
        assert_eq!(bupati["holders"].as_array().unwrap().len(), 4);
        assert_eq!(bupati["current"], "bupati-2025");
        let (_, offices) = app.get_json("/api/v1/offices").await;
        assert_eq!(offices.as_array().unwrap().len(), 10);
        let (_, plt) = app.get_json("/api/v1/mandates/bupati-2023-plt").await;
        assert_eq!(
            (plt["kind"].as_str(), plt["active"].as_bool()),
            (Some("acting"), Some(false))
        );
        let (_, old) = app.get_json(&format!("/api/v1/keys/{}", key("joko"))).await;
        assert!(old["revoked"].is_object());
        let (_, sekda) = app.get_json("/api/v1/mandates/sekda-2020").await;
        assert_eq!(sekda["keys"].as_array().unwrap().len(), 2);

        // The continuity report, term by term.
        let (_, report) = app.get_json("/api/v1/continuity").await;
        let terms = report["terms"].as_array().unwrap();
        let ids = |t: &Value, f: &str| -> Vec<String> {
            t[f].as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    x.get("commitment")
                        .unwrap_or(x)
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect()
        };
        let kinds: Vec<&str> = terms.iter().map(|t| t["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["definitive", "acting", "caretaker", "definitive"]);
        assert_eq!(ids(&terms[0], "made").len(), 7);
        assert_eq!(ids(&terms[0], "completed"), ["e-office-semua-opd"]);
        assert_eq!(ids(&terms[1], "inherited").len(), 6);
        assert_eq!(
            ids(&terms[2], "milestones_partially_met"),
            ["umkm-onboarding-1000"]
        );
        let elected = &terms[3];
        assert_eq!(elected["holder"]["name"], "Rina Kusumawardani, S.H., M.H.");
        assert_eq!(ids(elected, "amended"), ["umkm-2000"]);
        assert_eq!(ids(elected, "discontinued"), ["bank-sampah-berjo"]);
        assert!(
            elected["discontinued"][0]["text"]
                .as_str()
                .unwrap()
                .contains("Digabung")
        );
        assert_eq!(ids(elected, "left_awaiting"), ["literasi-177-desa"]);
        assert_eq!(ids(elected, "completed"), ["e-ticket-cetho-sukuh"]);
        assert_eq!(
            ids(elected, "milestones_overdue"),
            ["sensor-longsor-install"]
        );
        assert_eq!(
            ids(elected, "reaffirmed"),
            [
                "e-ticket-cetho-sukuh",
                "portal-satu-data",
                "sensor-longsor-12"
            ]
        );

        // The auditor recomputes the state the server publishes.
        let options = Options {
            verifier: ledger_key().verifier(),
            state_file: None,
            progress: false,
        };
        let server = Source::Server {
            base: app.base.clone(),
        };
        let result = audit::audit(&server, &options).await.unwrap();
        assert!(result.log.violations.is_empty());
        assert_eq!(result.state_check, StateCheck::Matches);
        assert_eq!(result.state_hash.to_hex(), app.state_hash().await);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entry_zero_must_be_the_genesis_signed_by_every_registrar() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn_empty(db).await;
        let office = json!({"office": {"id": "x", "name": "X", "unit": "X", "role": "other"}});
        let message = refused(
            &app,
            &signed_by("office.establish", "o", office, &["registrar-setda"]),
            422,
            "invalid_statement",
        )
        .await;
        assert!(message.contains("genesis"), "{message}");
        let genesis = demo::story(ORIGIN)[0].statement.clone();
        let partly = signed_by(
            "ledger.genesis",
            "genesis",
            Value::Object(genesis.clone()),
            &["registrar-setda", "registrar-bkpsdm"],
        );
        let message = refused(&app, &partly, 403, "unauthorized_signer").await;
        assert!(message.contains("every registrar key"), "{message}");
        let all = signed_by(
            "ledger.genesis",
            "genesis",
            Value::Object(genesis),
            &[
                "registrar-setda",
                "registrar-bkpsdm",
                "registrar-diskominfo",
            ],
        );
        assert_eq!(accepted(&app, &all).await, 0);
        let (code, charter) = app.get_json("/api/v1/charter").await;
        assert_eq!(
            (code, charter["pillars"].as_array().unwrap().len()),
            (200, 6)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_types_and_malformed_fields_are_refused_naming_the_field() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let message = refused(&app, &signed_by("programme.cancel", "u1", json!({}), &["rina"]), 422, "invalid_statement").await;
        assert!(message.contains("unknown statement type"), "{message}");
        let bad_budget = json!({"commitment": {"id": "c-new", "programme": "satu-data", "title": "T", "description": "D",
            "indicators": [{"id": "i", "name": "n", "unit": "u", "baseline": "0", "target": "1"}],
            "budget": {"amount": "1.5 miliar", "currency": "IDR", "source": "APBD"}, "due": "2027-01-01"}});
        let (status, body) = post(&app, &signed_by("commitment.make", "u2", bad_budget, &["yusuf", "rina"])).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("invalid_statement")));
        assert_eq!(body["error"]["details"]["field"], "commitment.budget.amount", "{body}");
        let missing = json!({"milestone": "sensor-longsor-install", "status": "met"});
        let (status, body) = post(&app, &signed_by("milestone.report", "u3", missing, &["wahyu"])).await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["details"]["field"], "progress", "{body}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mandate_past_its_until_date_signs_for_nobody() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let registrars = ["registrar-setda", "registrar-bkpsdm"];
        let office = json!({"office": {"id": "bappeda-lama", "name": "Kepala Bappeda (lama)", "unit": "Bappeda", "role": "planning"}});
        accepted(&app, &signed_by("office.establish", "x1", office, &registrars)).await;
        let mandate = json!({"mandate": {"id": "bappeda-lama-2019", "office": "bappeda-lama", "holder": {"name": "Purnomo"},
            "kind": "definitive", "from": "2019-01-02", "until": "2024-01-02", "basis": {"kind": "sk_bupati", "number": "1/2019"}},
            "keys": [key("intruder")]});
        accepted(&app, &signed_by("mandate.begin", "x2", mandate, &["registrar-setda", "registrar-bkpsdm", "intruder"])).await;
        let document = json!({"document": {"id": "renja-2026", "kind": "Other", "number": "7/2026", "title": "Renja", "date": "2026-01-05", "sha256": "ab".repeat(32)}});
        let message = refused(&app, &signed_by("document.register", "x3", document, &["intruder"]), 403, "unauthorized_signer").await;
        assert!(message.contains("no office held at this time"), "{message}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_no_longer_counts() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let body = json!({"commitment": "literasi-177-desa", "justification": "Tidak dilanjutkan.",
            "basis": {"kind": "keputusan_bupati", "number": "9/2026"}});
        // The Sekda's old key was revoked in the story; the new one counts.
        let message = refused(
            &app,
            &signed_by(
                "commitment.discontinue",
                "r1",
                body.clone(),
                &["rina", "joko"],
            ),
            403,
            "unauthorized_signer",
        )
        .await;
        assert!(message.contains("revoked"), "{message}");
        accepted(
            &app,
            &signed_by("commitment.discontinue", "r2", body, &["rina", "joko-2"]),
        )
        .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_of_the_wrong_office_is_refused_naming_the_office_needed() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let report = json!({"milestone": "sensor-longsor-install", "status": "met", "progress": {"physical_pct": 100, "financial_pct": 90}});
        let message = refused(&app, &signed_by("milestone.report", "w1", report, &["ratna"]), 403, "unauthorized_signer").await;
        assert!(message.contains("Camat Tawangmangu") && message.contains("Kepala Dinas Pariwisata"), "{message}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commitment_without_the_head_of_regions_signature_is_refused() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let commitment = json!({"commitment": {"id": "satu-data-api", "programme": "satu-data", "title": "API Satu Data", "description": "API terbuka",
            "indicators": [{"id": "i1", "name": "API", "unit": "endpoint", "baseline": "0", "target": "20"}],
            "budget": {"amount": "400000000", "currency": "IDR", "source": "APBD"}, "due": "2027-06-30"}});
        let message = refused(&app, &signed_by("commitment.make", "m1", commitment.clone(), &["yusuf"]), 403, "unauthorized_signer").await;
        assert!(message.contains("head of region"), "{message}");
        accepted(&app, &signed_by("commitment.make", "m2", commitment, &["yusuf", "rina"])).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acting_head_needs_ministerial_approval_to_discontinue_a_predecessors_commitment() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let registrars = ["registrar-setda", "registrar-bkpsdm"];
        let end = json!({"mandate": "bupati-2025", "at": "2026-11-01", "reason": "Berhalangan tetap (fiktif)."});
        accepted(&app, &signed_by("mandate.end", "a1", end, &registrars)).await;
        let plt = json!({"mandate": {"id": "bupati-2026-plt", "office": "bupati", "holder": {"name": "Agus Prasetyo, S.E."},
            "kind": "acting", "from": "2026-11-01", "basis": {"kind": "keputusan_gubernur", "number": "9/2026"}}, "keys": [key("agus")]});
        accepted(&app, &signed_by("mandate.begin", "a2", plt, &["registrar-setda", "registrar-bkpsdm", "agus"])).await;
        let discontinue = |kind: &str| json!({"commitment": "literasi-177-desa", "justification": "Anggaran dialihkan.",
            "basis": {"kind": kind, "number": "100/2026"}});
        let message = refused(&app, &signed_by("commitment.discontinue", "a3", discontinue("keputusan_bupati"), &["agus", "joko-2"]), 403, "unauthorized_signer").await;
        assert!(message.contains("ministerial_approval") && message.contains("132A"), "{message}");
        accepted(&app, &signed_by("commitment.discontinue", "a4", discontinue("ministerial_approval"), &["agus", "joko-2"])).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_approves_a_report_they_signed() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let report = json!({"milestone": "sensor-longsor-install", "status": "met", "date_met": "2026-11-20",
            "progress": {"physical_pct": 100, "financial_pct": 95}});
        let index = accepted(&app, &signed_by("milestone.report", "s1", report, &["wahyu", "siti"])).await;
        let approve = json!({"milestone": "sensor-longsor-install", "report": index, "decision": "approve"});
        let message = refused(&app, &signed_by("milestone.approve", "s2", approve.clone(), &["siti"]), 403, "unauthorized_signer").await;
        assert!(message.contains("separation of duties"), "{message}");
        accepted(&app, &signed_by("milestone.approve", "s3", approve, &["dewi"])).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_cannot_count_for_two_approver_offices() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let registrars = ["registrar-setda", "registrar-bkpsdm"];
        let office = json!({"office": {"id": "irban-1", "name": "Inspektur Pembantu I", "unit": "Inspektorat Daerah", "role": "inspectorate"}});
        accepted(&app, &signed_by("office.establish", "d1", office, &registrars)).await;
        // Dewi is also appointed Plh Inspektur Pembantu: one person, two offices.
        let plh = json!({"mandate": {"id": "irban-1-plh", "office": "irban-1", "holder": {"name": "Dewi Anggraini, S.T., M.T.", "nip": "197503202000032004"},
            "kind": "daily", "from": "2026-11-01", "basis": {"kind": "surat_perintah", "number": "800/2026"}}, "keys": [key("dewi")]});
        accepted(&app, &signed_by("mandate.begin", "d2", plh, &["registrar-setda", "registrar-bkpsdm", "dewi"])).await;
        let milestone = json!({"milestone": {"id": "portal-300", "commitment": "portal-satu-data", "title": "300 dataset", "type": "delivery",
            "due": "2027-03-31", "approvers": ["bappeda", "irban-1"]}});
        accepted(&app, &signed_by("milestone.schedule", "d3", milestone, &["yusuf"])).await;
        let report = json!({"milestone": "portal-300", "status": "met", "progress": {"physical_pct": 100, "financial_pct": 80}});
        let index = accepted(&app, &signed_by("milestone.report", "d4", report, &["yusuf"])).await;
        let approve = json!({"milestone": "portal-300", "report": index, "decision": "approve"});
        accepted(&app, &signed_by("milestone.approve", "d5", approve.clone(), &["dewi"])).await;
        let message = refused(&app, &signed_by("milestone.approve", "d6", approve, &["dewi"]), 403, "unauthorized_signer").await;
        assert!(message.contains("already approved"), "{message}");
        let (_, m) = app.get_json("/api/v1/milestones/portal-300").await;
        assert_eq!(m["shown_status"], "pending_approval");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handover_that_leaves_out_an_open_commitment_names_it() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        // portal-satu-data is open too.
        let open = ["literasi-177-desa", "sensor-longsor-12", "umkm-2000"];
        let handover = json!({"office": "bupati", "outgoing": "bupati-2024-pj", "incoming": "bupati-2025", "at": "2025-02-21",
            "basis": {"kind": "berita_acara", "number": "BA/2/2025", "sha256": "ab".repeat(32)}, "open_commitments": open});
        let (status, body) = post(&app, &signed_by("handover.record", "h1", handover.clone(), &["rina", "bambang"])).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("invalid_statement")), "{body}");
        assert_eq!(body["error"]["details"]["missing"], json!(["portal-satu-data"]));
        let size = app.tree_size().await;
        let message = refused(&app, &signed_by("handover.record", "h2", handover, &["rina", "bambang"]), 422, "invalid_statement").await;
        assert!(message.contains("portal-satu-data"), "{message}");
        assert_eq!(app.tree_size().await, size);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_a_superseded_report_is_refused() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let report = |pct: u32| {
            json!({"milestone": "sensor-longsor-install", "status": "partiallyMet",
            "progress": {"physical_pct": pct, "financial_pct": pct}})
        };
        let first = accepted(
            &app,
            &signed_by("milestone.report", "t1", report(40), &["wahyu"]),
        )
        .await;
        let second = accepted(
            &app,
            &signed_by("milestone.report", "t2", report(60), &["wahyu"]),
        )
        .await;
        let stale =
            json!({"milestone": "sensor-longsor-install", "report": first, "decision": "approve"});
        let message = refused(
            &app,
            &signed_by("milestone.approve", "t3", stale, &["dewi"]),
            422,
            "invalid_statement",
        )
        .await;
        assert!(message.contains(&format!("entry {second} is")), "{message}");
    })
    .await;
}

/// Appends through the core ledger alone, skipping the governance rules, as
/// someone writing into the database behind the server would.
async fn append_behind_the_rules(url: &str, envelope: &Value) {
    let store = Store::open(url).await.unwrap();
    let ledger = Ledger::open(store, ledger_key()).await.unwrap();
    let envelope =
        VerifiedEnvelope::from_json(&serde_json::to_vec(envelope).unwrap(), ORIGIN).unwrap();
    ledger.submit(envelope).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_replays_the_rules_and_reports_an_entry_written_behind_them() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let options = Options {
            verifier: ledger_key().verifier(),
            state_file: None,
            progress: false,
        };
        let database = Source::Database(Store::open(&app.db.url).await.unwrap());
        let server = Source::Server {
            base: app.base.clone(),
        };
        for source in [&database, &server] {
            let clean = audit::audit(source, &options).await.unwrap();
            assert!(clean.is_clean());
            assert_eq!(clean.state_check, StateCheck::Matches);
        }
        // The camat's key is declared compromised since before he signed
        // anything: his entries are flagged, not rewritten or refused.
        let revoke = json!({"key": key("wahyu"), "reason": "Kunci bocor.", "compromised_since": "2020-01-01"});
        let revoked_by = accepted(&app, &signed_by("key.revoke", "v1", revoke, &["registrar-setda", "registrar-bkpsdm"])).await;
        let flagged = audit::audit(&database, &options).await.unwrap();
        assert!(flagged.is_clean());
        let wahyu = key("wahyu");
        assert!(flagged.flags.len() >= 3, "{:?}", flagged.flags);
        assert!(flagged.flags.iter().all(|f| f.keyid == wahyu && f.revoked_by == revoked_by));
        // The projection reloads into the same state.
        let reloaded =
            prasasti::governance::Governance::load(Store::open(&app.db.url).await.unwrap(), ORIGIN)
                .await
                .unwrap();
        let size = app.tree_size().await;
        assert_eq!(
            reloaded.current().await.unwrap().state.hash().to_hex(),
            app.state_hash().await
        );

        // An intruder reaffirms a commitment, bypassing the rules.
        let forged = signed_by(
            "commitment.reaffirm",
            "forged",
            json!({"commitment": "literasi-177-desa"}),
            &["intruder"],
        );
        append_behind_the_rules(&app.db.url, &forged).await;
        for source in [&database, &server] {
            let found = audit::audit(source, &options).await.unwrap();
            assert!(!found.is_clean());
            assert_eq!(found.log.violations.len(), 1);
            assert_eq!(found.log.violations[0].index, size);
            assert_eq!(
                found.log.violations[0].refusal.code(),
                "unauthorized_signer"
            );
        }
        // The server skips it too: its state is the replay's, and the
        // commitment still awaits the head's decision.
        let replay = audit::audit(&server, &options).await.unwrap();
        assert_eq!(replay.state_hash.to_hex(), app.state_hash().await);
        let (_, c) = app.get_json("/api/v1/commitments/literasi-177-desa").await;
        assert_eq!(c["status"], "awaiting_reaffirmation");

        // The command line says so and fails.
        let dir = tempfile::tempdir().unwrap();
        let vkey = dir.path().join("ledger.vkey");
        std::fs::write(&vkey, ledger_key().verifier().to_vkey_string()).unwrap();
        let out = tokio::task::spawn_blocking({
            let (url, vkey, state) = (app.db.url.clone(), vkey.clone(), dir.path().join("state"));
            move || {
                std::process::Command::new(binary())
                    .args(["verify", "--database", &url, "--vkey"])
                    .arg(vkey)
                    .arg("--state")
                    .arg(state)
                    .output()
                    .unwrap()
            }
        })
        .await
        .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "{said}");
        assert!(
            said.contains(&format!("RULE VIOLATION at entry {size}")),
            "{said}"
        );
    })
    .await;
}
