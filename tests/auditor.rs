//! The auditor's mirror, from servers on SQLite and PostgreSQL: a whole
//! copy verified offline, an incremental run that fetches only the new
//! tiles, a server that rewrote history refused with the mirror unchanged,
//! and an interrupted run resumed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use prasasti::auditor::mirror::{MirrorOptions, Mirrored, mirror};
use prasasti::ledger::verify::{self, Source, VerifyError};

use crate::common::*;

/// A proxy in front of a server that counts tile requests and, when told,
/// fails every request for an entry bundle.
#[derive(Clone)]
struct Counting {
    upstream: String,
    tiles: Arc<AtomicUsize>,
    failing: Arc<AtomicBool>,
    client: reqwest::Client,
}

async fn forward(State(proxy): State<Counting>, uri: Uri) -> Response {
    if uri.path().starts_with("/tile/") {
        proxy.tiles.fetch_add(1, Ordering::SeqCst);
        if proxy.failing.load(Ordering::SeqCst) && uri.path().starts_with("/tile/entries/") {
            return StatusCode::BAD_GATEWAY.into_response();
        }
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let answer = proxy
        .client
        .get(format!("{}{path}", proxy.upstream))
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    (status, answer.bytes().await.unwrap()).into_response()
}

async fn counting(upstream: &str) -> (String, Counting) {
    let proxy = Counting {
        upstream: upstream.to_owned(),
        tiles: Arc::new(AtomicUsize::new(0)),
        failing: Arc::new(AtomicBool::new(false)),
        client: prasasti::ledger::http::client().unwrap(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new()
        .fallback(forward)
        .with_state(proxy.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, proxy)
}

fn options() -> MirrorOptions {
    MirrorOptions {
        verifier: ledger_key().verifier(),
        policy: None,
        progress: Default::default(),
    }
}

async fn verify_offline(dir: &std::path::Path) -> Result<verify::Report, VerifyError> {
    let options = verify::Options {
        verifier: ledger_key().verifier(),
        state_file: None,
        policy: None,
        progress: Default::default(),
    };
    verify::verify(&Source::Mirror(dir.to_path_buf()), &options).await
}

async fn grow(app: &TestApp, from: usize, to: usize) {
    for i in from..to {
        let (status, body) = app.submit(&signed(&format!("m{i}"))).await;
        assert_eq!(status, 201, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mirror_is_verified_offline_and_grows_by_the_new_tiles_only() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn(db).await;
        grow(&app, 1, 600).await;
        let (base, proxy) = counting(&app.base).await;
        let dir = tempfile::tempdir().unwrap();

        let done = mirror(&base, dir.path(), &options()).await.unwrap();
        // 3 entry bundles, 3 level-0 tiles and 1 level-1 tile.
        assert_eq!(
            done,
            Mirrored {
                previous: None,
                size: 600,
                fetched: 7
            }
        );
        assert_eq!(proxy.tiles.load(Ordering::SeqCst), 7);
        let report = verify_offline(dir.path()).await.unwrap();
        assert_eq!(report.entries, 600);

        // Nothing new: nothing fetched.
        let done = mirror(&base, dir.path(), &options()).await.unwrap();
        assert_eq!(done.fetched, 0);
        assert_eq!(proxy.tiles.load(Ordering::SeqCst), 7);

        // Ten more entries: only the bundle and the level-0 tile at the end
        // (the level-1 tile still holds the same two subtrees).
        grow(&app, 600, 610).await;
        let done = mirror(&base, dir.path(), &options()).await.unwrap();
        assert_eq!(
            (done.previous, done.size, done.fetched),
            (Some(600), 610, 2)
        );
        assert_eq!(proxy.tiles.load(Ordering::SeqCst), 9);
        assert_eq!(verify_offline(dir.path()).await.unwrap().entries, 610);

        // An entry's proof made from the mirror alone checks offline.
        for index in [0, 300, 609] {
            let (bundle, entry) = prasasti::auditor::mirror::prove(dir.path(), index).unwrap();
            let bundle = prasasti::tlog::bundle::ProofBundle::parse(&bundle).unwrap();
            let checkpoint = bundle.verify(&entry, &ledger_key().verifier()).unwrap();
            assert_eq!((bundle.index, checkpoint.size), (index, 610));
        }
        assert!(prasasti::auditor::mirror::prove(dir.path(), 610).is_err());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewritten_history_is_refused_and_an_interrupted_mirror_resumes() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn(db).await;
        grow(&app, 1, 300).await;
        let dir = tempfile::tempdir().unwrap();
        mirror(&app.base, dir.path(), &options()).await.unwrap();
        let before = std::fs::read(dir.path().join("checkpoint")).unwrap();

        // The same key, another history of more entries: refused, and the
        // mirror keeps its checkpoint and gains no tile.
        let forked = TestApp::spawn(TestDb::sqlite()).await;
        grow(&forked, 1, 400).await;
        let tiles_before = count_files(dir.path());
        match mirror(&forked.base, dir.path(), &options()).await {
            Err(VerifyError::Fork { size, .. }) => assert_eq!(size, 300),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            std::fs::read(dir.path().join("checkpoint")).unwrap(),
            before
        );
        assert_eq!(count_files(dir.path()), tiles_before);
        assert_eq!(verify_offline(dir.path()).await.unwrap().entries, 300);

        // The real log grows past two more bundles; the entry bundles fail
        // to come: the run fails, the mirror is still the old one, and the
        // next run fetches only the tiles still missing.
        grow(&app, 300, 800).await;
        let (base, proxy) = counting(&app.base).await;
        proxy.failing.store(true, Ordering::SeqCst);
        assert!(matches!(
            mirror(&base, dir.path(), &options()).await,
            Err(VerifyError::Fetch(_))
        ));
        assert_eq!(
            std::fs::read(dir.path().join("checkpoint")).unwrap(),
            before
        );
        assert_eq!(verify_offline(dir.path()).await.unwrap().entries, 300);
        proxy.failing.store(false, Ordering::SeqCst);
        let asked = proxy.tiles.load(Ordering::SeqCst);
        let done = mirror(&base, dir.path(), &options()).await.unwrap();
        // 800 entries: 4 bundles, 4 level-0 tiles, 1 level-1 tile; bundle 0
        // and level-0 tile 0 were full already; the four hash tiles came
        // before: only the three bundles are fetched.
        assert_eq!(done.size, 800);
        assert_eq!(done.fetched, 3);
        assert_eq!(proxy.tiles.load(Ordering::SeqCst) - asked, 3);
        assert_eq!(verify_offline(dir.path()).await.unwrap().entries, 800);
    })
    .await;
}

fn count_files(dir: &std::path::Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        n += if path.is_dir() { count_files(&path) } else { 1 };
    }
    n
}

/// A webhook receiver: the JSON bodies POSTed to it.
async fn webhook() -> (String, Arc<std::sync::Mutex<Vec<serde_json::Value>>>) {
    let got = Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = got.clone();
    let router = axum::Router::new().route(
        "/alerts",
        axum::routing::post(move |body: axum::Json<serde_json::Value>| {
            let keep = keep.clone();
            async move {
                keep.lock().unwrap().push(body.0);
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/alerts", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, got)
}

/// Runs `prasasti monitor --once` in `dir` against `server`: its output.
async fn monitor_once(dir: &std::path::Path, server: &str, hook: &str) -> std::process::Output {
    let (dir, server, hook) = (dir.to_owned(), server.to_owned(), hook.to_owned());
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(binary())
            .args([
                "monitor",
                "--once",
                "--server",
                &server,
                "--vkey",
                "ledger.vkey",
            ])
            .args([
                "--watch",
                "watch",
                "--state",
                "monitor.json",
                "--webhook",
                &hook,
            ])
            .current_dir(dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn alert_lines(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("ALERT"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_key_raises_one_alert_once_and_a_fork_an_inconsistency() {
    on_each_backend(|db| async move {
        let app = TestApp::spawn(db).await;
        grow(&app, 1, 5).await;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("ledger.vkey"),
            ledger_key().verifier().to_vkey_string(),
        )
        .unwrap();
        let watched = prasasti::ledger::statement::keyid_of(&official(1).verifying_key());
        std::fs::write(
            d.join("watch"),
            format!("# my own key\nkey {watched}\ntype commitment.discontinue\n"),
        )
        .unwrap();
        let (hook, got) = webhook().await;

        // The first run starts from the head: nothing to report.
        let out = monitor_once(d, &app.base, &hook).await;
        assert!(out.status.success(), "{}", text(&out));
        assert!(alert_lines(&out).is_empty(), "{}", text(&out));

        // A statement signed with the watched key: exactly one alert, on
        // standard output and at the webhook.
        grow(&app, 5, 6).await;
        let out = monitor_once(d, &app.base, &hook).await;
        assert!(out.status.success(), "{}", text(&out));
        let lines = alert_lines(&out);
        assert_eq!(lines.len(), 1, "{}", text(&out));
        assert!(
            lines[0].starts_with("ALERT match #5: document.register m5 matches key "),
            "{lines:?}"
        );
        let sent = got.lock().unwrap().clone();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0]["alert"], "match");
        assert_eq!(sent[0]["index"], 5);
        assert_eq!(sent[0]["rules"][0], format!("key {watched}"));

        // A restart reports nothing twice.
        let out = monitor_once(d, &app.base, &hook).await;
        assert!(alert_lines(&out).is_empty(), "{}", text(&out));
        assert_eq!(got.lock().unwrap().len(), 1);

        // A server with the same key and another history: an inconsistency.
        let forked = TestApp::spawn(TestDb::sqlite()).await;
        grow(&forked, 1, 9).await;
        let out = monitor_once(d, &forked.base, &hook).await;
        let lines = alert_lines(&out);
        assert_eq!(lines.len(), 1, "{}", text(&out));
        assert!(
            lines[0].starts_with("ALERT inconsistency: the log was rewritten"),
            "{lines:?}"
        );
        assert_eq!(
            got.lock().unwrap().last().unwrap()["alert"],
            "inconsistency"
        );
        // The monitor still trusts what it saw: the real log raises nothing.
        let out = monitor_once(d, &app.base, &hook).await;
        assert!(alert_lines(&out).is_empty(), "{}", text(&out));
    })
    .await;
}

#[test]
fn watch_files_are_read_line_by_line_and_a_bad_line_is_named() {
    use prasasti::auditor::monitor::{Rule, parse_watch};
    let rules = parse_watch(&format!(
        "# the Bupati's key\nkey {}\noffice diskominfo\nprogramme satu-data\ntype commitment.discontinue\noverdue\n",
        "AB".repeat(32)
    ))
    .unwrap();
    assert_eq!(rules.len(), 5);
    assert_eq!(rules[0], Rule::Key("ab".repeat(32)));
    assert_eq!(rules[4], Rule::Overdue);
    for (text, line) in [
        ("key 12\n", 1),
        ("office a\ntype no.such.type\n", 2),
        ("overdue\nwatch everything\n", 2),
    ] {
        let err = parse_watch(text).unwrap_err();
        assert!(err.starts_with(&format!("watch line {line}:")), "{err}");
    }
    assert!(parse_watch("# nothing\n").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_programme_and_overdue_rules_agree_with_the_ledger_views() {
    use prasasti::auditor::monitor::{Monitor, MonitorOptions, parse_watch};
    let app = demo_app(TestDb::sqlite()).await;
    // Resume from an earlier checkpoint of the story, as after a restart.
    let earlier = app
        .ledger
        .store()
        .checkpoints()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.tree_size >= 40)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("monitor.json");
    std::fs::write(
        &state_file,
        serde_json::json!({"checkpoint": earlier.note, "overdue": []}).to_string(),
    )
    .unwrap();
    let mut monitor = Monitor::new(MonitorOptions {
        server: app.base.clone(),
        verifier: ledger_key().verifier(),
        policy: None,
        rules: parse_watch("programme satu-data\noverdue\n").unwrap(),
        state_file,
    })
    .unwrap();
    let alerts = monitor.poll().await.unwrap();

    // Every later entry the programme's page lists, and no other.
    let (_, programme) = app
        .get_json("/api/v1/programmes/satu-data/entries?per_page=200")
        .await;
    let mut expected: Vec<u64> = programme["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap())
        .filter(|i| *i >= earlier.tree_size)
        .collect();
    expected.sort_unstable();
    let matched: Vec<u64> = alerts
        .iter()
        .filter(|a| a.alert == "match")
        .map(|a| a.index.unwrap())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(matched, expected);
    // Every milestone overdue now, once.
    let state = app.governance.current().await.unwrap();
    let mut overdue: Vec<String> = alerts
        .iter()
        .filter(|a| a.alert == "overdue")
        .map(|a| a.id.clone().unwrap())
        .collect();
    overdue.sort();
    assert_eq!(overdue, state.state.overdue_milestones(chrono::Utc::now()));
    assert!(
        alerts
            .iter()
            .all(|a| a.alert != "violation" && a.alert != "inconsistency")
    );
    assert!(monitor.poll().await.unwrap().is_empty());
}

fn report_options(
    since: prasasti::auditor::report::Since,
) -> prasasti::auditor::report::ReportOptions {
    prasasti::auditor::report::ReportOptions {
        verifier: ledger_key().verifier(),
        policy: None,
        since,
        progress: Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_agrees_with_the_api_is_reproducible_and_each_line_rechecks() {
    use prasasti::auditor::report::{Format, Since, build, render};
    use prasasti::tlog::bundle::ProofBundle;
    use prasasti::tlog::hash::Hash;
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let source = Source::Server {
            base: app.base.clone(),
        };
        let size = app.tree_size().await;
        let whole = build(&source, &report_options(Since::Start)).await.unwrap();
        assert_eq!((whole.from.tree_size, whole.to.tree_size), (0, size));
        assert_eq!(whole.entries.len() as u64, size);

        // Every term's decisions are the continuity report's.
        let (_, continuity) = app.get_json("/api/v1/continuity").await;
        let terms = continuity["terms"].as_array().unwrap();
        assert_eq!(whole.terms.len(), terms.len());
        for (mine, theirs) in whole.terms.iter().zip(terms) {
            assert_eq!(mine.mandate, theirs["mandate"]);
            let count = ["made", "amended", "reaffirmed", "discontinued", "completed"]
                .iter()
                .map(|k| theirs[k].as_array().unwrap().len())
                .sum::<usize>();
            assert_eq!(mine.decisions.len(), count, "{}", mine.mandate);
            assert_eq!(
                serde_json::to_value(&mine.left_awaiting).unwrap(),
                theirs["left_awaiting"]
            );
        }
        // Every awaiting commitment is one the API says awaits.
        for a in &whole.awaiting_reaffirmation {
            let (_, c) = app
                .get_json(&format!("/api/v1/commitments/{}", a.commitment))
                .await;
            assert_eq!(c["status"], "awaiting_reaffirmation", "{c}");
        }
        assert!(!whole.awaiting_reaffirmation.is_empty());
        // The amendment of umkm-2000 with its deltas.
        let umkm = whole
            .programmes
            .iter()
            .flat_map(|p| &p.commitments)
            .find(|c| c.id == "umkm-2000")
            .unwrap();
        let amended = umkm.changes.iter().find(|c| c.action == "amended").unwrap();
        assert_eq!(amended.budget_delta, Some(300_000_000));
        assert_eq!(amended.due_delta_days, Some(365));

        // Since the second Bupati took office.
        let second = terms[1]["begun"]["entry"].as_u64().unwrap();
        let since = build(&source, &report_options(Since::Size(second)))
            .await
            .unwrap();
        assert_eq!(since.from.tree_size, second);
        assert_eq!(since.entries.first().unwrap().index, second);
        assert_eq!(since.terms.first().unwrap().mandate, terms[1]["mandate"]);
        // Its two checkpoints are consistent by the proof it carries.
        let proof: Vec<Hash> = since
            .consistency_proof
            .iter()
            .map(|h| Hash::from_base64(h).unwrap())
            .collect();
        prasasti::tlog::proof::verify_consistency(
            second,
            size,
            &proof,
            &Hash::from_base64(&since.from.root_hash).unwrap(),
            &Hash::from_base64(&since.to.root_hash).unwrap(),
        )
        .unwrap();
        // A reader re-checks a line: its entry, leaf hash and proof.
        let line = &since.entries[since.entries.len() / 2];
        let (_, entry) = app
            .get_json(&format!("/api/v1/entries/{}", line.index))
            .await;
        assert_eq!(entry["leaf_hash"], line.leaf_hash);
        let bundle = app
            .get(&format!("/api/v1/entries/{}/proof", line.index))
            .await
            .text()
            .await
            .unwrap();
        let bundle = ProofBundle::parse(&bundle).unwrap();
        let leaf = prasasti::ledger::statement::canonical_json(&entry["entry"]);
        let checkpoint = bundle.verify(&leaf, &ledger_key().verifier()).unwrap();
        assert_eq!(checkpoint.root.to_base64(), since.to.root_hash);

        // The same inputs give the same bytes, in every format and language.
        let again = build(&source, &report_options(Since::Size(second)))
            .await
            .unwrap();
        for format in [Format::Json, Format::Markdown, Format::Html] {
            for english in [false, true] {
                assert_eq!(
                    render(&since, format, english),
                    render(&again, format, english)
                );
            }
        }
        let html = render(&since, Format::Html, false);
        assert!(html.contains("Laporan audit buku besar"));
        assert!(render(&since, Format::Html, true).contains("Audit report of the ledger"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_mirror_gets_no_report() {
    use prasasti::auditor::report::{ReportError, Since, build};
    let app = TestApp::spawn(TestDb::sqlite()).await;
    grow(&app, 1, 20).await;
    let dir = tempfile::tempdir().unwrap();
    mirror(&app.base, dir.path(), &options()).await.unwrap();
    let source = Source::Mirror(dir.path().to_path_buf());
    assert!(build(&source, &report_options(Since::Start)).await.is_ok());
    // One byte of one entry changed in the mirror's bundle.
    let bundle = dir.path().join("tile/entries/000.p/20");
    let mut bytes = std::fs::read(&bundle).unwrap();
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
    std::fs::write(&bundle, bytes).unwrap();
    match build(&source, &report_options(Since::Start)).await {
        Err(ReportError::Verify(e)) => assert!(e.to_string().contains("entry"), "{e}"),
        other => panic!("{:?}", other.map(|r| r.entries.len())),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_fits_an_a4_page() {
    use prasasti::auditor::report::{Format, Since, build, render};
    let Some(browser) = crate::browser::Browser::start().await else {
        return;
    };
    let app = demo_app(TestDb::sqlite()).await;
    let source = Source::Server {
        base: app.base.clone(),
    };
    let report = build(&source, &report_options(Since::Start)).await.unwrap();
    let path = output_dir("report").join("laporan.html");
    std::fs::write(&path, render(&report, Format::Html, false)).unwrap();
    // A4 is 210 mm: 794 CSS pixels.
    browser
        .command(
            reqwest::Method::POST,
            "/window/rect",
            Some(serde_json::json!({"width": 794, "height": 1123})),
        )
        .await;
    browser.open(&format!("file://{}", path.display())).await;
    browser
        .assert_fits("the report at A4 width", "report-a4")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_of_the_committed_demo_ledger_is_its_golden_files() {
    use prasasti::auditor::report::{Format, ReportOptions, Since, build, render};
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mirror = data.join("demo-mirror");
    let vkey = std::fs::read_to_string(mirror.join("ledger.vkey")).unwrap();
    let options = |since| ReportOptions {
        verifier: prasasti::tlog::note::NoteVerifier::parse(vkey.trim()).unwrap(),
        policy: None,
        since,
        progress: Default::default(),
    };
    let source = Source::Mirror(mirror.clone());
    // The second Bupati's term began with entry 58 of this ledger.
    for (name, since) in [
        ("whole", Since::Start),
        ("since-second-bupati", Since::Size(58)),
    ] {
        let report = build(&source, &options(since)).await.unwrap();
        for (format, ext) in [
            (Format::Json, "json"),
            (Format::Markdown, "md"),
            (Format::Html, "html"),
        ] {
            let path = data.join(format!("reports/{name}.{ext}"));
            let written = render(&report, format, false);
            if std::env::var_os("PRASASTI_UPDATE_SNAPSHOTS").is_some() {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &written).unwrap();
            }
            let golden = std::fs::read_to_string(&path).unwrap_or_else(|_| {
                panic!(
                    "{}: run with PRASASTI_UPDATE_SNAPSHOTS=1 to create it",
                    path.display()
                )
            });
            assert!(
                golden == written,
                "{} changed; review the difference and rerun with PRASASTI_UPDATE_SNAPSHOTS=1",
                path.display()
            );
        }
    }
}
