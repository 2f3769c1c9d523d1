//! The HTTP API on both databases: submission, idempotency, every refusal
//! rule (status, code, and that nothing changed), reads, proofs and tiles.

use crate::common::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::Signer as _;
use prasasti::ledger::statement::{
    Envelope, EnvelopeSignature, PAYLOAD_TYPE, canonical_json, cosign, keyid_of, pae, seal,
};
use prasasti::tlog::bundle::ProofBundle;
use prasasti::tlog::checkpoint::Checkpoint;
use prasasti::tlog::hash::{Hash, leaf_hash};
use prasasti::tlog::proof::{verify_consistency, verify_inclusion};
use prasasti::tlog::tile::decode_entry_bundle;
use serde_json::{Value, json};

/// An envelope over arbitrary payload bytes, correctly signed by official 1.
fn envelope_over(payload: &[u8]) -> Envelope {
    let key = official(1);
    let sig = key.sign(&pae(PAYLOAD_TYPE, payload));
    Envelope {
        payload_type: PAYLOAD_TYPE.into(),
        payload: STANDARD.encode(payload),
        signatures: vec![EnvelopeSignature {
            keyid: keyid_of(&key.verifying_key()),
            sig: STANDARD.encode(sig.to_bytes()),
        }],
    }
}

fn hashes(value: &Value) -> Vec<Hash> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|h| Hash::from_base64(h.as_str().unwrap()).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submitted_entries_come_back_with_a_checkpoint_and_a_proof_that_verify() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn(db).await;
        let verifier = ledger_key().verifier();
        // Entry 0 is the genesis.
        for i in 1..6 {
            let (status, body) = app.submit(&signed(&format!("s{i}"))).await;
            assert_eq!(status, 201, "{body}");
            assert_eq!(body["index"], i);
            let checkpoint =
                Checkpoint::open(body["checkpoint"].as_str().unwrap(), &verifier).unwrap();
            assert!(checkpoint.size > i);
            let leaf = leaf_hash(&canonical_json(&body["entry"]));
            assert_eq!(leaf.to_base64(), body["leaf_hash"]);
            verify_inclusion(
                i,
                checkpoint.size,
                &leaf,
                &hashes(&body["inclusion_proof"]),
                &checkpoint.root,
            )
            .unwrap();
        }
        // The chain starts from zeros, then prev is the previous leaf hash.
        let (_, e0) = app.get_json("/api/v1/entries/0").await;
        assert_eq!(e0["entry"]["prev"], "0".repeat(64));
        let (_, e1) = app.get_json("/api/v1/entries/1").await;
        let (_, e2) = app.get_json("/api/v1/entries/2").await;
        assert_eq!(
            Hash::from_base64(e1["leaf_hash"].as_str().unwrap())
                .unwrap()
                .to_hex(),
            e2["entry"]["prev"]
        );
        assert!(
            e1["entry"]["recorded_at"].as_str().unwrap()
                <= e2["entry"]["recorded_at"].as_str().unwrap()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_resubmission_is_idempotent_and_a_reused_id_is_a_conflict() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn(db).await;
        let envelope = signed("same");
        let (first, a) = app.submit(&envelope).await;
        let (again, b) = app.submit(&envelope).await;
        assert_eq!((first, again), (201, 200));
        assert_eq!(a["index"], b["index"]);
        assert_eq!(a["leaf_hash"], b["leaf_hash"]);
        // Same id, different content.
        let mut other = document("same");
        other["document"]["title"] = json!("something else");
        let (status, body) = app.submit(&seal(&other, &official(1))).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "statement_id_conflict");
        // Same statement, one more signature: a different envelope.
        let mut cosigned = envelope.clone();
        cosign(&mut cosigned, &official(2)).unwrap();
        let (status, body) = app.submit(&cosigned).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("statement_id_conflict"))
        );
        assert_eq!(app.tree_size().await, 2);
    })
    .await;
}

/// Each refusal: (what is wrong, request body, status, code).
fn refusals() -> Vec<(&'static str, Vec<u8>, u16, &'static str)> {
    let good = document("r1");
    let canonical = canonical_json(&good);
    let json = |e: &Envelope| serde_json::to_vec(e).unwrap();
    let with = |field: &str, value: Value| {
        let mut s = good.clone();
        s.insert(field.into(), value);
        json(&seal(&s, &official(1)))
    };
    let without = |field: &str| {
        let mut s = good.clone();
        s.remove(field);
        json(&seal(&s, &official(1)))
    };

    let mut not_canonical = String::from_utf8(canonical.clone()).unwrap();
    not_canonical = not_canonical.replacen(':', ": ", 1);
    let unsorted_bytes =
        format!("{{\"type\":\"test.note\",\"id\":\"r1\",\"ledger\":\"{ORIGIN}\"}}").into_bytes();

    let mut unknown_type = envelope_over(&canonical);
    unknown_type.payload_type = "application/json".into();
    let mut unsigned = envelope_over(&canonical);
    unsigned.signatures.clear();
    let mut bad_sig = envelope_over(&canonical);
    bad_sig.signatures[0].sig = envelope_over(b"{}").signatures[0].sig.clone();
    let mut twice = envelope_over(&canonical);
    twice.signatures.push(twice.signatures[0].clone());
    let mut bad_keyid = envelope_over(&canonical);
    bad_keyid.signatures[0].keyid = bad_keyid.signatures[0].keyid.to_uppercase();
    let mut short_sig = envelope_over(&canonical);
    short_sig.signatures[0].sig = STANDARD.encode([1u8; 10]);
    let mut not_base64 = envelope_over(&canonical);
    not_base64.payload = "not base64!".into();
    let mut big = good.clone();
    big.insert("padding".into(), json!("x".repeat(70 * 1024)));
    // An envelope just under the 64 KiB limit whose entry (the envelope
    // wrapped with index, prev and recorded_at) would not fit a tile.
    let just_fits = (47_000..50_000)
        .map(|n| {
            let mut s = good.clone();
            s.insert("padding".into(), json!("x".repeat(n)));
            json(&seal(&s, &official(1)))
        })
        .find(|bytes| (65_536 - 60..=65_536).contains(&bytes.len()))
        .expect("an envelope of 65,476 to 65,536 bytes");
    let mut seventeen = seal(&good, &official(1));
    for n in 2..=17 {
        cosign(&mut seventeen, &official(n)).unwrap();
    }
    // Another ledger's statement with a broken signature: refused for the
    // ledger before any signature is checked.
    let mut foreign = good.clone();
    foreign.insert("ledger".into(), json!("another.example/ledger"));
    let mut foreign = seal(&foreign, &official(1));
    foreign.signatures[0].sig = envelope_over(b"{}").signatures[0].sig.clone();

    vec![
        (
            "payload with whitespace",
            json(&envelope_over(not_canonical.as_bytes())),
            422,
            "non_canonical_payload",
        ),
        (
            "payload keys out of order",
            json(&envelope_over(&unsorted_bytes)),
            422,
            "non_canonical_payload",
        ),
        (
            "payload with a float spelled 1.0",
            json(&envelope_over(
                format!("{{\"id\":\"r1\",\"ledger\":\"{ORIGIN}\",\"n\":1.0,\"type\":\"t\"}}")
                    .as_bytes(),
            )),
            422,
            "non_canonical_payload",
        ),
        (
            "payload not an object",
            json(&envelope_over(b"[1,2]")),
            422,
            "malformed_payload",
        ),
        (
            "payload not JSON",
            json(&envelope_over(b"hello")),
            422,
            "malformed_payload",
        ),
        (
            "payload not base64",
            json(&not_base64),
            422,
            "malformed_payload",
        ),
        (
            "unknown payload type",
            json(&unknown_type),
            422,
            "unknown_payload_type",
        ),
        ("no signature", json(&unsigned), 422, "no_signature"),
        (
            "signature over other bytes",
            json(&bad_sig),
            422,
            "invalid_signature",
        ),
        ("the same key twice", json(&twice), 422, "duplicate_key"),
        (
            "keyid in upper case",
            json(&bad_keyid),
            422,
            "malformed_keyid",
        ),
        (
            "signature of 10 bytes",
            json(&short_sig),
            422,
            "malformed_signature",
        ),
        (
            "another ledger",
            with("ledger", json!("other.example/ledger")),
            422,
            "wrong_ledger",
        ),
        (
            "ledger missing",
            without("ledger"),
            422,
            "invalid_statement",
        ),
        ("type missing", without("type"), 422, "invalid_statement"),
        (
            "type malformed",
            with("type", json!("Not A Type")),
            422,
            "invalid_statement",
        ),
        (
            "type not a string",
            with("type", json!(7)),
            422,
            "invalid_statement",
        ),
        ("id missing", without("id"), 422, "invalid_statement"),
        (
            "id malformed",
            with("id", json!("has space")),
            422,
            "invalid_statement",
        ),
        (
            "id too long",
            with("id", json!("a".repeat(129))),
            422,
            "invalid_statement",
        ),
        (
            "envelope over 64 KiB",
            json(&seal(&big, &official(1))),
            413,
            "envelope_too_large",
        ),
        (
            "envelope under 64 KiB whose entry is over 65535 bytes",
            just_fits,
            413,
            "entry_too_large",
        ),
        (
            "17 signatures",
            json(&seventeen),
            422,
            "too_many_signatures",
        ),
        (
            "another ledger's statement with a bad signature",
            json(&foreign),
            422,
            "wrong_ledger",
        ),
        (
            "body over 1 MiB",
            vec![b' '; 2 * 1024 * 1024],
            413,
            "envelope_too_large",
        ),
        ("not JSON", b"{not json".to_vec(), 400, "malformed_envelope"),
        (
            "unknown envelope field",
            {
                let mut v = serde_json::to_value(envelope_over(&canonical)).unwrap();
                v["extra"] = json!(1);
                serde_json::to_vec(&v).unwrap()
            },
            400,
            "malformed_envelope",
        ),
        ("empty body", Vec::new(), 400, "malformed_envelope"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_rule_answers_its_status_and_code_and_changes_nothing() {
    on_each_backend(|db| async move {
        let mut app = TestApp::spawn(db).await;
        // One connection per request: the 1 MiB case below makes the server
        // drop its connection, and a pooled connection could be reused just
        // as that happens.
        app.client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        app.submit(&signed("before")).await;
        let before = app.ledger.latest_checkpoint().await.unwrap();
        for (what, body, status, code) in refusals() {
            let (got, answer) = app
                .try_post_json(body)
                .await
                .unwrap_or_else(|e| panic!("{what}: {e:?}"));
            assert_eq!(got, status, "{what}: {answer}");
            assert_eq!(answer["error"]["code"], code, "{what}: {answer}");
            assert!(
                !answer["error"]["message"].as_str().unwrap_or("").is_empty(),
                "{what}"
            );
        }
        // A body over the 1 MiB read limit is cut off unread; the server
        // may close the connection before the client has finished sending.
        let huge = app
            .client
            .post(format!("{}/api/v1/entries", app.base))
            .header("content-type", "application/json")
            .body(vec![b' '; 2 * 1024 * 1024])
            .send()
            .await;
        if let Ok(response) = huge {
            assert_eq!(response.status().as_u16(), 413);
            let answer: Value = response.json().await.unwrap();
            assert_eq!(answer["error"]["code"], "envelope_too_large");
        }
        // Wrong media type.
        let response = app
            .client
            .post(format!("{}/api/v1/entries", app.base))
            .header("content-type", "text/plain")
            .body(serde_json::to_vec(&signed("x")).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 415);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["error"]["code"], "unsupported_media_type");
        // Nothing changed: same checkpoint, and the refused ids are free.
        assert_eq!(app.ledger.latest_checkpoint().await.unwrap(), before);
        assert!(
            app.ledger
                .store()
                .entry_by_statement("r1")
                .await
                .unwrap()
                .is_none()
        );
        let (status, _) = app.submit(&signed("r1")).await;
        assert_eq!(status, 201);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_proofs_and_bundles_verify_and_bad_parameters_are_4xx() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn(db).await;
        // With the genesis, 300 entries.
        for i in 1..300 {
            app.submit(&signed(&format!("e{i}"))).await;
        }
        let verifier = ledger_key().verifier();
        let (_, log) = app.get_json("/api/v1/log").await;
        assert_eq!(log["origin"], ORIGIN);
        assert_eq!(log["verifier_key"], verifier.to_vkey_string());
        assert_eq!(log["tree_size"], 300);
        let root300 = Hash::from_base64(log["root_hash"].as_str().unwrap()).unwrap();

        let response = app.get("/checkpoint").await;
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        let checkpoint = Checkpoint::open(&response.text().await.unwrap(), &verifier).unwrap();
        assert_eq!((checkpoint.size, checkpoint.root), (300, root300));

        // Inclusion proofs at several sizes.
        for (index, size) in [(0, 1), (5, 17), (255, 256), (256, 300), (299, 300)] {
            let (status, p) = app
                .get_json(&format!(
                    "/api/v1/proofs/inclusion?index={index}&tree_size={size}"
                ))
                .await;
            assert_eq!(status, 200, "{p}");
            let (_, e) = app.get_json(&format!("/api/v1/entries/{index}")).await;
            let leaf = Hash::from_base64(e["leaf_hash"].as_str().unwrap()).unwrap();
            assert_eq!(leaf, leaf_hash(&canonical_json(&e["entry"])));
            let root = Hash::from_base64(p["root_hash"].as_str().unwrap()).unwrap();
            verify_inclusion(index, size, &leaf, &hashes(&p["hashes"]), &root).unwrap();
        }
        // Consistency proofs.
        for (old, new) in [(1, 300), (7, 255), (256, 300), (300, 300)] {
            let (status, p) = app
                .get_json(&format!("/api/v1/proofs/consistency?old={old}&new={new}"))
                .await;
            assert_eq!(status, 200, "{p}");
            let (_, a) = app
                .get_json(&format!("/api/v1/proofs/inclusion?index=0&tree_size={old}"))
                .await;
            let (_, b) = app
                .get_json(&format!("/api/v1/proofs/inclusion?index=0&tree_size={new}"))
                .await;
            let ra = Hash::from_base64(a["root_hash"].as_str().unwrap()).unwrap();
            let rb = Hash::from_base64(b["root_hash"].as_str().unwrap()).unwrap();
            verify_consistency(old, new, &hashes(&p["hashes"]), &ra, &rb).unwrap();
        }
        // The offline bundle.
        let bundle_text = app
            .get("/api/v1/entries/123/proof")
            .await
            .text()
            .await
            .unwrap();
        let bundle = ProofBundle::parse(&bundle_text).unwrap();
        let (_, e) = app.get_json("/api/v1/entries/123").await;
        bundle
            .verify(&canonical_json(&e["entry"]), &verifier)
            .unwrap();
        assert!(
            bundle
                .verify(&canonical_json(&json!({"forged": true})), &verifier)
                .is_err()
        );

        // Pages.
        let (_, page) = app.get_json("/api/v1/entries?start=250&limit=1000").await;
        assert_eq!(page["entries"].as_array().unwrap().len(), 50);
        assert!(page["next"].is_null());
        let (_, page) = app.get_json("/api/v1/entries?start=0&limit=10").await;
        assert_eq!(page["next"], 10);

        // Bad parameters.
        for (path, status, code) in [
            ("/api/v1/entries/300", 404, "entry_not_found"),
            ("/api/v1/entries/abc", 400, "invalid_parameters"),
            ("/api/v1/entries/-1", 400, "invalid_parameters"),
            ("/api/v1/entries?limit=1001", 400, "invalid_parameters"),
            ("/api/v1/entries?limit=0", 400, "invalid_parameters"),
            ("/api/v1/entries?start=x", 400, "invalid_parameters"),
            ("/api/v1/entries/300/proof", 404, "entry_not_found"),
            (
                "/api/v1/proofs/inclusion?index=5&tree_size=5",
                400,
                "out_of_range",
            ),
            (
                "/api/v1/proofs/inclusion?index=0&tree_size=301",
                400,
                "out_of_range",
            ),
            (
                "/api/v1/proofs/inclusion?index=0",
                400,
                "invalid_parameters",
            ),
            (
                "/api/v1/proofs/inclusion?index=a&tree_size=3",
                400,
                "invalid_parameters",
            ),
            (
                "/api/v1/proofs/consistency?old=0&new=5",
                400,
                "out_of_range",
            ),
            (
                "/api/v1/proofs/consistency?old=6&new=5",
                400,
                "out_of_range",
            ),
            (
                "/api/v1/proofs/consistency?old=1&new=301",
                400,
                "out_of_range",
            ),
            (
                "/api/v1/proofs/consistency?old=1&new=18446744073709551616",
                400,
                "invalid_parameters",
            ),
            ("/tile/0/x001", 400, "invalid_tile_path"),
            ("/tile/0/002", 404, "tile_not_found"),
            ("/tile/entries/001", 404, "tile_not_found"),
            ("/nowhere", 404, "not_found"),
        ] {
            let (got, body) = app.get_json(path).await;
            assert_eq!(
                (got, body["error"]["code"].as_str()),
                (status, Some(code)),
                "{path}: {body}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiles_hold_the_stored_hashes_and_entries_with_the_right_cache_headers() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn(db).await;
        // With the genesis, 260 entries.
        for i in 1..260 {
            app.submit(&signed(&format!("t{i}"))).await;
        }
        let full = app.get("/tile/0/000").await;
        assert_eq!(full.status(), 200);
        assert!(
            full.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let full = full.bytes().await.unwrap();
        assert_eq!(full.len(), 256 * 32);
        let partial = app.get("/tile/0/001.p/4").await;
        assert_eq!(partial.headers()["cache-control"], "no-cache");
        assert_eq!(partial.bytes().await.unwrap().len(), 4 * 32);
        assert_eq!(app.get("/tile/0/001.p/5").await.status(), 404);
        // Level 1 holds one hash: the root of the first 256 leaves.
        let level1 = app.get("/tile/1/000.p/1").await.bytes().await.unwrap();
        let (_, p) = app
            .get_json("/api/v1/proofs/inclusion?index=0&tree_size=256")
            .await;
        assert_eq!(
            Hash::from_slice(&level1).unwrap().to_base64(),
            p["root_hash"]
        );

        let bundle = app.get("/tile/entries/000").await.bytes().await.unwrap();
        let entries = decode_entry_bundle(&bundle).unwrap();
        assert_eq!(entries.len(), 256);
        for (i, entry) in entries.iter().enumerate().step_by(51) {
            assert_eq!(leaf_hash(entry).0, full[i * 32..(i + 1) * 32]);
        }
        let partial = decode_entry_bundle(
            &app.get("/tile/entries/001.p/4")
                .await
                .bytes()
                .await
                .unwrap(),
        )
        .unwrap();
        assert_eq!(partial.len(), 4);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_is_pinned() {
    let app = TestApp::spawn(TestDb::sqlite()).await;
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let pretty = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/openapi.json");
    if std::env::var_os("PRASASTI_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &pretty).unwrap();
    }
    let pinned = std::fs::read_to_string(&path)
        .expect("tests/data/openapi.json: run with PRASASTI_UPDATE_SNAPSHOTS=1 to create it");
    assert_eq!(
        pretty, pinned,
        "the OpenAPI document changed; review and rerun with PRASASTI_UPDATE_SNAPSHOTS=1"
    );
}

fn limited(limits: prasasti::server::Limits) -> prasasti::server::ServerConfig {
    prasasti::server::ServerConfig {
        limits,
        ..Default::default()
    }
}

/// Opens a raw connection and sends `bytes` without finishing the request.
async fn half_request(base: &str, bytes: &[u8]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Reads what the server sends until it closes the connection (or 30 s pass).
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stream.read_to_end(&mut answer),
    )
    .await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_closed_and_slow_requests_time_out() {
    let app = TestApp::spawn_with(
        TestDb::sqlite(),
        limited(prasasti::server::Limits {
            header_read_timeout: std::time::Duration::from_millis(500),
            request_timeout: std::time::Duration::from_secs(1),
            submissions_per_minute: 0,
            ..Default::default()
        }),
    )
    .await;
    // Headers that never end: the connection is closed.
    let mut idle = Vec::new();
    for _ in 0..50 {
        idle.push(half_request(&app.base, b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await);
    }
    for stream in &mut idle {
        assert!(
            read_until_closed(stream).await.is_some(),
            "a half-sent request stayed open"
        );
    }
    // A body that never ends: 408, and nothing appended.
    let size = app.tree_size().await;
    let mut slow = half_request(
        &app.base,
        b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"payl",
    )
    .await;
    let answer = read_until_closed(&mut slow).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(app.tree_size().await, size);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_in_flight_limit_are_told_to_come_back() {
    let app = TestApp::spawn_with(
        TestDb::sqlite(),
        limited(prasasti::server::Limits {
            max_in_flight: 1,
            submissions_per_minute: 0,
            ..Default::default()
        }),
    )
    .await;
    // One request holds the only place while its body trickles in.
    const HOLDING: &[u8] = b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
    let mut holding = half_request(&app.base, HOLDING).await;
    // Once the server has taken it up (at once, or after a moment on a busy
    // machine), other requests are told to come back. On a busy machine it
    // may arrive while one of those holds the place, and be sent away
    // itself: then it is sent again.
    let started = std::time::Instant::now();
    let response = loop {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let response = app.get("/api/v1/log").await;
        if response.status() == 503 || started.elapsed() > std::time::Duration::from_secs(20) {
            break response;
        }
        let mut answer = [0u8; 64];
        let read = tokio::time::timeout(
            std::time::Duration::from_millis(5),
            tokio::io::AsyncReadExt::read(&mut holding, &mut answer),
        )
        .await;
        if matches!(read, Ok(Ok(_)) | Ok(Err(_))) {
            holding = half_request(&app.base, HOLDING).await;
        }
    };
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_gets_its_budget_of_submissions_then_429() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn_with(
            db,
            limited(prasasti::server::Limits {
                submissions_per_minute: 3,
                ..Default::default()
            }),
        )
        .await;
        for i in 0..3 {
            let (status, body) = app.submit(&signed(&format!("budget-{i}"))).await;
            assert_eq!(status, 201, "{body}");
        }
        let size = app.tree_size().await;
        let response = app
            .client
            .post(format!("{}/api/v1/entries", app.base))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&signed("budget-3")).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 429);
        let retry: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=20).contains(&retry), "Retry-After: {retry}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limited");
        assert_eq!(app.tree_size().await, size, "the log changed");
        // Reading is not budgeted.
        assert_eq!(app.get("/api/v1/log").await.status(), 200);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::spawn(TestDb::sqlite()).await;
    for path in [
        "/",
        "/api/v1/log",
        "/checkpoint",
        "/nothing-here",
        "/static/verify.js",
        "/static/bytes.js",
        "/static/meja.js",
        "/meja",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_range_tile_paths_are_refused_not_wrapped() {
    let app = TestApp::spawn(TestDb::sqlite()).await;
    for path in [
        "/tile/0/x072/x057/x594/x037/x927/935",
        "/tile/0/x072/x057/x594/x037/x927/936",
        "/tile/0/x999/x999/x999/x999/x999/x999/999",
        "/tile/entries/x072/x057/x594/x037/x927/936",
        "/tile/7/x072/x057/x594/x037/x927/935",
    ] {
        let response = app.get(path).await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(matches!(status, 400 | 404), "{path}: HTTP {status}: {body}");
    }
    // Nothing beyond the log is served as an immutable tile either.
    let response = app.get("/tile/0/000").await;
    assert_eq!(response.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auditor_refuses_answers_larger_than_its_cap() {
    use prasasti::ledger::http::{MAX_RESPONSE_BYTES, get as http_get};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route(
            "/sized",
            axum::routing::get(|| async { vec![b'x'; MAX_RESPONSE_BYTES + 1] }),
        )
        .route(
            "/streamed",
            axum::routing::get(|| async {
                // No Content-Length: the cap applies while reading.
                let chunks = (0..MAX_RESPONSE_BYTES / 65_536 + 2)
                    .map(|_| Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b'x'; 65_536])));
                axum::body::Body::from_stream(stream_of(chunks))
            }),
        )
        .route("/small", axum::routing::get(|| async { "ok" }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    for path in ["/sized", "/streamed"] {
        let error = http_get(&format!("{base}{path}"))
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("larger than"), "{path}: {error}");
    }
    assert_eq!(http_get(&format!("{base}/small")).await.unwrap(), b"ok");
}

/// A stream of the given items, without a stream library.
fn stream_of<T>(
    items: impl Iterator<Item = T> + Send + Unpin + 'static,
) -> impl futures_core::Stream<Item = T> + Send + 'static {
    struct Iter<I>(I);
    impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
        type Item = I::Item;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<I::Item>> {
            std::task::Poll::Ready(self.0.next())
        }
    }
    Iter(items)
}

/// Rules with a bug: they panic on any statement whose id starts with `boom`.
struct PanickingRules;
struct PanickingFold(u64);

impl prasasti::ledger::rules::Fold for PanickingFold {
    fn size(&self) -> u64 {
        self.0
    }
    fn apply(
        &mut self,
        entry: &prasasti::ledger::entry::Entry,
        envelope: &prasasti::ledger::statement::VerifiedEnvelope,
    ) -> Result<(), prasasti::ledger::rules::Refusal> {
        assert!(
            !envelope.statement_id().starts_with("boom"),
            "a rule with a bug"
        );
        self.0 = entry.index + 1;
        Ok(())
    }
    fn skip(&mut self) {
        self.0 += 1;
    }
    fn state_hash(&self) -> Hash {
        Hash::ZERO
    }
}

impl prasasti::ledger::rules::BatchFold for PanickingFold {
    fn projection(&mut self) -> prasasti::store::ProjectionChanges {
        prasasti::store::ProjectionChanges {
            tree_size: self.0,
            objects: Vec::new(),
        }
    }
    fn install(self: Box<Self>) {}
}

impl prasasti::ledger::rules::Rules for PanickingRules {
    fn begin<'a>(
        &'a self,
        _: &'a prasasti::store::AppendTx,
        size: u64,
    ) -> prasasti::ledger::rules::BoxFuture<
        'a,
        Result<Box<dyn prasasti::ledger::rules::BatchFold>, prasasti::ledger::LedgerError>,
    > {
        Box::pin(async move {
            Ok(Box::new(PanickingFold(size)) as Box<dyn prasasti::ledger::rules::BatchFold>)
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_a_rule_fails_its_batch_and_the_server_goes_on() {
    on_each_backend(|db| async move {
        let store = prasasti::store::Store::connect(&db.url).await.unwrap();
        let governance = prasasti::governance::Governance::load(store.clone(), ORIGIN)
            .await
            .unwrap();
        let ledger = prasasti::ledger::Ledger::open_with_rules(
            store,
            ledger_key(),
            Some(std::sync::Arc::new(PanickingRules)),
        )
        .await
        .unwrap();
        write_genesis(&ledger).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(prasasti::serve(
            listener,
            prasasti::server::AppState::with_config(ledger.clone(), governance, test_config()),
            std::future::pending(),
        ));
        let client = prasasti::ledger::http::client().unwrap();
        let post = |id: &str| {
            let body = serde_json::to_vec(&signed(id)).unwrap();
            let (client, base) = (client.clone(), base.clone());
            async move {
                let response = post_entry(&client, &base, body).await.unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap())
            }
        };
        let (status, body) = post("boom-1").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (500, Some("internal")),
            "{body}"
        );
        // The appender survived: the next submissions are appended.
        for id in ["after-1", "after-2"] {
            let (status, body) = post(id).await;
            assert_eq!(status, 201, "{body}");
        }
        assert_eq!(ledger.latest_checkpoint().await.unwrap().tree_size, 3);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_appends_refusals_and_requests_in_prometheus_text() {
    let app = TestApp::spawn(TestDb::sqlite()).await;
    for i in 0..3 {
        let (status, _) = app.submit(&signed(&format!("metric-{i}"))).await;
        assert_eq!(status, 201);
    }
    // A statement the rules refuse (official 2 holds no mandate), and an
    // envelope whose signature is over other bytes.
    let (status, _) = app
        .submit(&prasasti::ledger::statement::seal(
            &document("refused"),
            &official(2),
        ))
        .await;
    assert_eq!(status, 403);
    let mut forged = signed("forged");
    forged.signatures[0].sig = signed("other").signatures[0].sig.clone();
    let (status, _) = app.submit(&forged).await;
    assert_eq!(status, 422);

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let value = |line_start: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(line_start))
            .unwrap_or_else(|| panic!("no {line_start} in\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    // The registry is the process's: other tests count too.
    assert!(value("prasasti_entries_appended_total ") >= 4.0);
    assert!(value("prasasti_append_batches_total ") >= 1.0);
    // The refused statement came after batches on a head this process
    // knew: its batch went the usual way.
    assert!(value("prasasti_append_fallbacks_total ") >= 1.0);
    assert!(value("prasasti_tree_size ") >= 1.0);
    assert!(value("prasasti_refusals_total{code=\"unauthorized_signer\"} ") >= 1.0);
    assert!(value("prasasti_refusals_total{code=\"invalid_signature\"} ") >= 1.0);
    assert!(value("prasasti_submit_to_checkpoint_seconds_count ") >= 4.0);
    assert!(value("prasasti_append_batch_size_bucket{le=\"+Inf\"} ") >= 1.0);
    assert!(
        value(
            "prasasti_http_requests_total{method=\"POST\",route=\"/api/v1/entries\",status=\"201\"} "
        ) >= 3.0
    );
    // Every metric is documented in the README's table.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for name in text.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        let name = name.split(' ').next().unwrap();
        assert!(
            readme.contains(&format!("`{name}`")) || readme.contains(&format!("`{name}{{")),
            "{name} is not in README.md"
        );
    }
    // Every metric is announced with HELP and TYPE.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap();
        let base = name
            .trim_end_matches("_bucket")
            .trim_end_matches("_sum")
            .trim_end_matches("_count");
        assert!(
            text.contains(&format!("# TYPE {base} ")) || text.contains(&format!("# TYPE {name} ")),
            "{name}"
        );
    }
}
