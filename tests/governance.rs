//! The governance rules through the HTTP API, on SQLite and PostgreSQL: the
//! Karanganyar story told by an independent signer, one test per refusal
//! rule (status, code, and that neither the log nor the state changed), and
//! the auditor's replay.

use crate::common::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey};
use prasasti::governance::Governance;
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

/// Ends the elected Bupati's mandate on 2026-11-01 and begins `mandate`,
/// an interim head's, bound to the demo key `holder` (statement ids
/// `{prefix}1` and `{prefix}2`).
async fn interim_bupati(app: &TestApp, prefix: &str, mandate: Value, holder: &'static str) {
    let end =
        json!({"mandate": "bupati-2025", "at": "2026-11-01", "reason": "Berhalangan (fiktif)."});
    let registrars = ["registrar-setda", "registrar-bkpsdm"];
    accepted(
        app,
        &signed_by("mandate.end", &format!("{prefix}1"), end, &registrars),
    )
    .await;
    let begin = json!({"mandate": mandate, "keys": [key(holder)]});
    let signers = ["registrar-setda", "registrar-bkpsdm", holder];
    accepted(
        app,
        &signed_by("mandate.begin", &format!("{prefix}2"), begin, &signers),
    )
    .await;
}

fn status_of<'a>(view: &'a Value, field: &str) -> &'a str {
    view[field].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_karanganyar_story_runs_through_the_api_with_an_independent_signer() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn_empty(db).await;
        for (n, step) in demo::story(ORIGIN).iter().enumerate() {
            let mut keys: Vec<SigningKey> =
                step.signers.iter().map(|s| demo_key(ORIGIN, s)).collect();
            if n == 0 {
                // The operator's consent to the genesis.
                keys.push(ledger_key().signing_key().clone());
            }
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
        assert_eq!(p["entries_total"], p["entries"].as_array().unwrap().len());
        assert_eq!(p["audit_notes_total"], 1);
        // The rest a page at a time, newest first.
        let (_, all) = app
            .get_json("/api/v1/programmes/satu-data/entries?per_page=200")
            .await;
        assert_eq!(all["items"], p["entries"]);
        let (_, second) = app
            .get_json("/api/v1/programmes/satu-data/entries?per_page=2&page=2")
            .await;
        assert_eq!(
            second["items"],
            json!(all["items"].as_array().unwrap()[2..4])
        );
        let (_, notes) = app
            .get_json("/api/v1/programmes/satu-data/audit-notes")
            .await;
        assert_eq!(
            (notes["total"].as_u64(), notes["per_page"].as_u64()),
            (Some(1), Some(50))
        );
        let (_, notes) = app
            .get_json("/api/v1/commitments/portal-satu-data/audit-notes")
            .await;
        assert_eq!(notes["items"][0], p["audit_notes"][0]);
        for (path, status, code) in [
            ("/api/v1/programmes/nothing-here/entries", 404, "not_found"),
            (
                "/api/v1/programmes/nothing-here/audit-notes",
                404,
                "not_found",
            ),
            (
                "/api/v1/commitments/nothing-here/audit-notes",
                404,
                "not_found",
            ),
            (
                "/api/v1/programmes/satu-data/entries?page=x",
                400,
                "invalid_parameters",
            ),
        ] {
            let (got, body) = app.get_json(path).await;
            assert_eq!(
                (got, body["error"]["code"].as_str()),
                (status, Some(code)),
                "{path}"
            );
        }
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
            policy: None,
            progress: Default::default(),
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
        let with_ledger_key = |kind: &str, id: &str, fields: Value, signers: &[&str]| {
            let mut statement = fields;
            statement["type"] = kind.into();
            statement["id"] = id.into();
            statement["ledger"] = ORIGIN.into();
            let mut keys: Vec<SigningKey> = signers.iter().map(|n| demo_key(ORIGIN, n)).collect();
            keys.push(ledger_key().signing_key().clone());
            independent_envelope(&statement, &keys)
        };
        let office = json!({"office": {"id": "x", "name": "X", "unit": "X", "role": "other"}});
        let message = refused(
            &app,
            &with_ledger_key("office.establish", "o", office, &["registrar-setda"]),
            422,
            "invalid_statement",
        )
        .await;
        assert!(message.contains("genesis"), "{message}");
        let genesis = demo::story(ORIGIN)[0].statement.clone();
        let partly = with_ledger_key(
            "ledger.genesis",
            "genesis",
            Value::Object(genesis.clone()),
            &["registrar-setda", "registrar-bkpsdm"],
        );
        let message = refused(&app, &partly, 403, "unauthorized_signer").await;
        assert!(message.contains("every registrar key"), "{message}");
        let registrars = [
            "registrar-setda",
            "registrar-bkpsdm",
            "registrar-diskominfo",
        ];
        // A stranger who reads the origin and names their own keys as
        // registrars cannot claim the fresh ledger: only the operator, who
        // holds the ledger key, consents to a genesis.
        let stranger = signed_by(
            "ledger.genesis",
            "genesis",
            Value::Object(genesis.clone()),
            &registrars,
        );
        let message = refused(&app, &stranger, 403, "missing_ledger_signature").await;
        assert!(message.contains("ledger's own key"), "{message}");
        let all = with_ledger_key(
            "ledger.genesis",
            "genesis",
            Value::Object(genesis),
            &registrars,
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
        let mandate = json!({"mandate": {"id": "bappeda-lama-2019", "office": "bappeda-lama", "holder": {"name": "Purnomo", "nip": "196512251990031001"},
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
        let plt = json!({"id": "bupati-2026-plt", "office": "bupati", "holder": {"name": "Agus Prasetyo, S.E.", "person": "agus"},
            "kind": "acting", "from": "2026-11-01", "basis": {"kind": "keputusan_gubernur", "number": "9/2026"}});
        interim_bupati(&app, "a", plt, "agus").await;
        let discontinue = |kind: &str| json!({"commitment": "literasi-177-desa", "justification": "Anggaran dialihkan.",
            "basis": {"kind": kind, "number": "100/2026"}});
        let message = refused(&app, &signed_by("commitment.discontinue", "a3", discontinue("keputusan_bupati"), &["agus", "joko-2"]), 403, "unauthorized_signer").await;
        assert!(message.contains("ministerial_approval") && message.contains("132A"), "{message}");
        // The kind alone is a string anyone can write: the approval's hash is needed too.
        let message = refused(&app, &signed_by("commitment.discontinue", "a4", discontinue("ministerial_approval"), &["agus", "joko-2"]), 403, "unauthorized_signer").await;
        assert!(message.contains("basis.sha256"), "{message}");
        let mut approved = discontinue("ministerial_approval");
        approved["basis"]["sha256"] = json!("cd".repeat(32));
        accepted(&app, &signed_by("commitment.discontinue", "a5", approved, &["agus", "joko-2"])).await;
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

/// `prasasti verify --database URL` with `extra` arguments: whether it
/// passed, and what it said.
async fn cli_verify(url: &str, extra: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let vkey = dir.path().join("ledger.vkey");
    std::fs::write(&vkey, ledger_key().verifier().to_vkey_string()).unwrap();
    let mut command = std::process::Command::new(binary());
    command
        .args(["verify", "--database", url, "--vkey"])
        .arg(&vkey)
        .arg("--state")
        .arg(dir.path().join("state"))
        .args(extra);
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let said = text(&out);
    (out.status.success(), said)
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
            policy: None,
            progress: Default::default(),
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
        // The command line lists the flags and passes; --strict fails on them.
        let (passed, said) = cli_verify(&app.db.url, &[]).await;
        assert!(passed && said.contains("FLAG: entry"), "{said}");
        let (passed, said) = cli_verify(&app.db.url, &["--strict"]).await;
        assert!(!passed && said.contains("--strict"), "{said}");
        // The projection reloads into the same state.
        let reloaded =
            Governance::load(Store::open(&app.db.url).await.unwrap(), ORIGIN)
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
        let said = text(&out);
        assert!(!out.status.success(), "{said}");
        assert!(
            said.contains(&format!("RULE VIOLATION at entry {size}")),
            "{said}"
        );
    })
    .await;
}

/// Rewrites projection rows behind the server's back, as someone with write
/// access to the database would.
async fn tamper_projection(url: &str, sql: &str) {
    use sea_orm::ConnectionTrait;
    let store = Store::open(url).await.unwrap();
    store.connection().execute_unprepared(sql).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_projection_is_never_trusted_and_can_be_rebuilt_from_the_entries() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let hash = app.state_hash().await;
        let url = app.db.url.clone();
        // An intruder swaps a registrar key in the charter for their own.
        let intruder = key("intruder");
        tamper_projection(
            &url,
            &format!(
                "UPDATE governance_objects SET body = REPLACE(body, '{}', '{intruder}') WHERE kind = 'charter'",
                key("registrar-setda")
            ),
        )
        .await;
        let refused = Governance::load(Store::open(&url).await.unwrap(), ORIGIN).await;
        let message = refused.err().expect("a tampered projection is refused").to_string();
        assert!(message.contains("charter"), "{message}");
        assert!(message.contains("--rebuild-projection"), "{message}");
        // The server refuses to start on it, with the same sentence.
        let keys = tempfile::tempdir().unwrap();
        std::fs::write(
            keys.path().join("ledger.key"),
            format!("{}\n", ledger_key().to_private_string()),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                keys.path().join("ledger.key"),
                std::fs::Permissions::from_mode(0o600),
            )
            .unwrap();
        }
        let out = std::process::Command::new(binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--database", &url, "--keys"])
            .arg(keys.path())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(said.contains("does not match the log"), "{said}");

        // A row the entries never made is caught as well.
        tamper_projection(
            &url,
            &format!(
                "INSERT INTO governance_objects (kind, id, body, last_index) VALUES ('key', '{intruder}', '{{}}', 0)"
            ),
        )
        .await;
        assert!(Governance::load(Store::open(&url).await.unwrap(), ORIGIN).await.is_err());

        // Rebuilt from the entries, it is the state before the tampering.
        let rebuilt = Governance::load_with(Store::open(&url).await.unwrap(), ORIGIN, true)
            .await
            .unwrap();
        assert_eq!(rebuilt.state_hash(app.tree_size().await).await.unwrap().to_hex(), hash);
        let again = Governance::load(Store::open(&url).await.unwrap(), ORIGIN)
            .await
            .unwrap();
        assert_eq!(again.current().await.unwrap().state.hash().to_hex(), hash);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_hashes_cost_bounded_work_whatever_anonymous_clients_ask() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn(db).await;
        // More entries than one snapshot interval, so older states are
        // folded from a snapshot, not from entry 0.
        let total = prasasti::governance::SNAPSHOT_EVERY + 76;
        for chunk in (1..total).collect::<Vec<_>>().chunks(256) {
            let tasks: Vec<_> = chunk
                .iter()
                .map(|i| {
                    let ledger = app.ledger.clone();
                    let envelope =
                        VerifiedEnvelope::check(signed(&format!("d{i}")), ORIGIN).unwrap();
                    tokio::spawn(async move { ledger.submit(envelope).await.unwrap() })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        }
        assert_eq!(app.tree_size().await, total);
        let get = |path: String| {
            let client = app.client.clone();
            let url = format!("{}{path}", app.base);
            tokio::spawn(async move {
                let response = client.get(url).send().await.unwrap();
                let status = response.status().as_u16();
                let retry = response.headers().get("retry-after").cloned();
                let body: Value = response.json().await.unwrap();
                (status, retry, body)
            })
        };

        // 32 clients ask for the current state: one computation serves all.
        let before = app.governance.hashes_computed();
        let answers: Vec<_> = (0..32).map(|_| get("/api/v1/state".into())).collect();
        let mut hashes = std::collections::BTreeSet::new();
        for a in answers {
            let (status, _, body) = a.await.unwrap();
            assert_eq!(status, 200, "{body}");
            hashes.insert(body["state_hash"].as_str().unwrap().to_owned());
        }
        assert_eq!(hashes.len(), 1);
        assert_eq!(app.governance.hashes_computed(), before + 1);

        // 32 clients ask for 32 older sizes at once, while /healthz keeps
        // answering: each is answered or told to come back (503 busy with
        // Retry-After), never queued behind the others.
        let sizes: Vec<u64> = (0..32).map(|i| 1 + i * (total - 2) / 31).collect();
        let answers: Vec<_> = sizes
            .iter()
            .map(|s| get(format!("/api/v1/state?tree_size={s}")))
            .collect();
        let health = app.get("/healthz").await;
        assert_eq!(health.status(), 200);
        let mut answered = Vec::new();
        for (size, a) in sizes.iter().zip(answers) {
            let (status, retry, body) = a.await.unwrap();
            match status {
                200 => answered.push((*size, body["state_hash"].as_str().unwrap().to_owned())),
                503 => {
                    assert_eq!(body["error"]["code"], "busy", "{body}");
                    assert!(retry.is_some(), "503 without Retry-After");
                }
                other => panic!("tree_size={size}: HTTP {other}: {body}"),
            }
        }
        assert!(!answered.is_empty());
        // What was answered is what a replay from entry 0 gives.
        for (size, hash) in &answered {
            let mut fold = prasasti::governance::StateFold::new();
            let rows = Store::open(&app.db.url)
                .await
                .unwrap()
                .entries(0, *size)
                .await
                .unwrap();
            prasasti::governance::fold_stored(&mut fold, ORIGIN, &rows).unwrap();
            assert_eq!(
                &fold.folded().state.hash().to_hex(),
                hash,
                "tree_size={size}"
            );
        }
        // Asking again for an answered size costs nothing.
        let computed = app.governance.hashes_computed();
        let (size, hash) = &answered[0];
        let (status, body) = app
            .get_json(&format!("/api/v1/state?tree_size={size}"))
            .await;
        assert_eq!(
            (status, body["state_hash"].as_str().unwrap()),
            (200, hash.as_str())
        );
        assert_eq!(app.governance.hashes_computed(), computed);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persons_are_identified_by_one_nip_or_person_id_and_one_key_is_one_person() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let registrars = ["registrar-setda", "registrar-bkpsdm"];
        let office = json!({"office": {"id": "dinkes", "name": "Kepala Dinas Kesehatan", "unit": "Dinas Kesehatan", "role": "opd_head"}});
        accepted(&app, &signed_by("office.establish", "p1", office, &registrars)).await;
        let mandate = |holder: Value, key_name: &str| {
            json!({"mandate": {"id": "dinkes-2026", "office": "dinkes", "holder": holder, "kind": "definitive",
                "from": "2026-01-02", "basis": {"kind": "sk_bupati", "number": "821/2026"}}, "keys": [key(key_name)]})
        };
        let begin = |id: &str, holder: Value, key_name: &str| {
            let signers = ["registrar-setda", "registrar-bkpsdm", key_name];
            signed_by("mandate.begin", id, mandate(holder, key_name), &signers)
        };
        // An appointed official without a NIP, or with it spelled with spaces.
        let message = refused(&app, &begin("p2", json!({"name": "dr. Ratna"}), "intruder"), 422, "invalid_statement").await;
        assert!(message.contains("mandate.holder.nip"), "{message}");
        let message = refused(&app, &begin("p3", json!({"name": "dr. Ratna", "nip": "19800117 200501 2 006"}), "intruder"), 422, "invalid_statement").await;
        assert!(message.contains("18-digit"), "{message}");
        // Dewi's key cannot be bound to a mandate of another person.
        let message = refused(&app, &begin("p4", json!({"name": "dr. Ratna", "nip": "198207072008012004"}), "dewi"), 422, "invalid_statement").await;
        assert!(message.contains("one key is one person"), "{message}");
        // An elected office's holder without NIP needs a person id.
        let office = json!({"office": {"id": "kades-tawangmangu", "name": "Kepala Desa Tawangmangu", "unit": "Desa Tawangmangu", "role": "village_head"}});
        accepted(&app, &signed_by("office.establish", "p5", office, &registrars)).await;
        let kades = json!({"mandate": {"id": "kades-tawangmangu-2026", "office": "kades-tawangmangu", "holder": {"name": "Slamet"},
            "kind": "definitive", "from": "2026-01-02", "basis": {"kind": "sk_bupati", "number": "141/2026"}}, "keys": [key("intruder")]});
        let message = refused(&app, &signed_by("mandate.begin", "p6", kades, &["registrar-setda", "registrar-bkpsdm", "intruder"]), 422, "invalid_statement").await;
        assert!(message.contains("mandate.holder.person"), "{message}");
        accepted(&app, &begin("p7", json!({"name": "dr. Ratna", "nip": "198207072008012004"}), "intruder")).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sekda_who_is_also_plh_bupati_signs_for_one_office_only() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        // The Sekda (NIP 196805121990031005, key joko-2) is made Plh Bupati.
        let plh = json!({"id": "bupati-2026-plh", "office": "bupati",
            "holder": {"name": "Drs. Joko Santoso, M.M.", "nip": "196805121990031005"},
            "kind": "daily", "from": "2026-11-01", "basis": {"kind": "surat_perintah", "number": "131/2026"}});
        interim_bupati(&app, "q", plh, "joko-2").await;
        // Discontinuing needs the head of region and the Sekda: two persons.
        let discontinue = json!({"commitment": "literasi-177-desa", "justification": "Anggaran dialihkan.",
            "basis": {"kind": "ministerial_approval", "number": "100/2026", "sha256": "cd".repeat(32)}});
        let message = refused(&app, &signed_by("commitment.discontinue", "q3", discontinue, &["joko-2"]), 403, "unauthorized_signer").await;
        assert!(message.contains("different person"), "{message}");
        let (_, c) = app.get_json("/api/v1/commitments/literasi-177-desa").await;
        assert_ne!(c["status"], "discontinued");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrars_cannot_lock_the_ledger_out() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        // Three registrar keys, threshold 2: one may go.
        let revoke = |k: &str| json!({"key": key(k), "reason": "Pensiun."});
        accepted(&app, &signed_by("key.revoke", "r1", revoke("registrar-diskominfo"), &["registrar-diskominfo"])).await;
        // A second would leave one key for a threshold of two, even signed by itself.
        let message = refused(&app, &signed_by("key.revoke", "r2", revoke("registrar-bkpsdm"), &["registrar-bkpsdm"]), 422, "invalid_statement").await;
        assert!(message.contains("threshold of 2"), "{message}");
        // A revoked key cannot be made a registrar again.
        let update = json!({"keys": [key("registrar-setda"), key("registrar-bkpsdm"), key("registrar-diskominfo")], "threshold": 2});
        let message = refused(&app, &signed_by("registrars.update", "r3", update, &["registrar-setda", "registrar-bkpsdm"]), 422, "invalid_statement").await;
        assert!(message.contains("revoked"), "{message}");
    })
    .await;
}
