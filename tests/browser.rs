//! The transparency site in a real browser: headless Chromium driven over
//! WebDriver (chromedriver) opens every page of the demonstration ledger,
//! runs the Verifikasi flow and sees every step pass, then, through a proxy
//! that serves a forged proof or a rolled-back checkpoint, sees the right
//! step fail. Screenshots are left in the test's output folder.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them the test
//! says it was skipped, unless PRASASTI_REQUIRE_BROWSER=1 (as in CI).

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use crate::common::*;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use prasasti::governance::demo;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver process and one browser session in it. Dropped, it ends
/// the session (chromedriver then closes its Chromium, which killing
/// chromedriver alone would leave running), stops chromedriver and removes
/// the browser's profile.
pub(crate) struct Browser {
    driver: Child,
    base: String,
    session: String,
    client: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub(crate) async fn start() -> Option<Browser> {
        let present =
            std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
        if !present {
            if std::env::var("PRASASTI_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
                panic!(
                    "{CHROMIUM} and {CHROMEDRIVER} are needed: apt-get install chromium chromium-driver"
                );
            }
            eprintln!("browser test skipped: install chromium and chromium-driver");
            return None;
        }
        let port = StdListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let client = prasasti::ledger::http::client().unwrap();
        let started = Instant::now();
        while client.get(format!("{base}/status")).send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1600", format!("--user-data-dir={}", profile.path().display())],
            },
        }}});
        let answer: Value = client
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {answer}"))
            .to_owned();
        Some(Browser {
            driver,
            base,
            session,
            client,
            _profile: profile,
        })
    }

    pub(crate) async fn command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.client.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(answer["value"]["error"].is_null(), "{path}: {answer}");
        answer["value"].clone()
    }

    pub(crate) async fn open(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub(crate) async fn script(&self, script: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Runs an asynchronous script: it ends by calling
    /// `arguments[arguments.length - 1]` with its answer.
    pub(crate) async fn script_async(&self, script: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Picks `path` in the file input matching `selector`.
    pub(crate) async fn upload(&self, selector: &str, path: &std::path::Path) {
        let element = self
            .command(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": selector})),
            )
            .await;
        let id = element
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("element id")
            .to_owned();
        self.command(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({"text": path.display().to_string()})),
        )
        .await;
    }

    /// Waits until `condition` (a JavaScript expression) is true.
    pub(crate) async fn wait_for(&self, condition: &str, what: &str) {
        let started = Instant::now();
        loop {
            if self.script(&format!("return !!({condition})")).await == json!(true) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "waited in vain for {what}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn screenshot(&self, name: &str) {
        let png = self
            .command(reqwest::Method::GET, "/screenshot", None)
            .await;
        let bytes = STANDARD.decode(png.as_str().unwrap()).unwrap();
        std::fs::write(output_dir("browser").join(format!("{name}.png")), bytes).unwrap();
    }

    /// Fails if the open page (`what`) is wider than the window, naming the
    /// elements that stick out; then takes the screenshot `shot`.
    pub(crate) async fn assert_fits(&self, what: &str, shot: &str) {
        let overflow = self
            .script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            .await;
        let culprits = self
            .script("const w = document.documentElement.clientWidth; return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > w + 1).slice(0, 6).map(e => e.tagName + '.' + e.className + '#' + e.id + ':' + Math.round(e.getBoundingClientRect().right)).join(' ')")
            .await;
        assert!(
            overflow.as_i64().unwrap() <= 0,
            "{what} is wider than the window by {overflow} px: {culprits}"
        );
        self.screenshot(shot).await;
    }

    /// Runs the Verifikasi page for `entry` and returns each step's result.
    pub(crate) async fn verify(&self, site: &str, entry: u64, shot: &str) -> Vec<(String, String)> {
        self.open(&format!("{site}/verifikasi?entry={entry}")).await;
        let started = Instant::now();
        loop {
            let done = self
                .script("return document.getElementById('verify-done').textContent")
                .await;
            if done.as_str().is_some_and(|t| !t.is_empty()) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "verification did not finish"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.screenshot(shot).await;
        let steps = self
            .script("return Array.from(document.querySelectorAll('[data-step]')).map(li => [li.dataset.step, li.dataset.result || '', li.textContent])")
            .await;
        steps
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s[0].as_str().unwrap().to_owned(),
                    format!("{}: {}", s[1].as_str().unwrap(), s[2].as_str().unwrap()),
                )
            })
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        end_session(&self.base, &self.session);
        self.driver.kill().ok();
        self.driver.wait().ok();
    }
}

/// `DELETE /session/{session}` to chromedriver at `base`, waiting for its
/// answer (Chromium has closed by then). Blocking and best-effort: it runs
/// in `drop`, where nothing can be awaited or reported.
fn end_session(base: &str, session: &str) {
    use std::io::{Read, Write};
    let Some(address) = base.strip_prefix("http://") else {
        return;
    };
    let Ok(mut stream) = std::net::TcpStream::connect(address) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        let _ = stream.read_to_end(&mut Vec::new());
    }
}

/// What the proxy in front of the site does to the answers.
const HONEST: u8 = 0;
const FORGED_PROOF: u8 = 1;
const ROLLED_BACK: u8 = 2;
const FORGED_COSIGNATURE: u8 = 3;

#[derive(Clone)]
struct Proxy {
    upstream: String,
    mode: Arc<AtomicU8>,
    old_checkpoint: Arc<std::sync::Mutex<String>>,
    client: reqwest::Client,
}

impl Proxy {
    /// An honest proxy in front of `upstream`: its address, and the handle
    /// that turns it dishonest.
    async fn start(upstream: &str) -> (String, Proxy) {
        let proxy = Proxy {
            upstream: upstream.to_owned(),
            mode: Arc::new(AtomicU8::new(HONEST)),
            old_checkpoint: Arc::new(std::sync::Mutex::new(String::new())),
            client: prasasti::ledger::http::client().unwrap(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let site = format!("http://{}", listener.local_addr().unwrap());
        let router = axum::Router::new()
            .fallback(forward)
            .with_state(proxy.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (site, proxy)
    }
}

async fn forward(State(proxy): State<Proxy>, uri: Uri) -> Response {
    let mode = proxy.mode.load(Ordering::SeqCst);
    if mode == ROLLED_BACK && uri.path() == "/checkpoint" {
        let note = proxy.old_checkpoint.lock().unwrap().clone();
        return ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response();
    }
    let url = format!(
        "{}{}",
        proxy.upstream,
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let answer = proxy.client.get(url).send().await.unwrap();
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    let kind = answer.headers().get("content-type").cloned();
    let mut body: Bytes = answer.bytes().await.unwrap();
    if mode == FORGED_COSIGNATURE && uri.path() == "/checkpoint" {
        // The DPRD witness's cosignature, one bit changed.
        let note = String::from_utf8(body.to_vec()).unwrap();
        let forged: String = note
            .lines()
            .map(
                |line| match line.strip_prefix("\u{2014} saksi.example/dprd ") {
                    Some(b64) => {
                        let mut bytes = STANDARD.decode(b64).unwrap();
                        *bytes.last_mut().unwrap() ^= 1;
                        format!("\u{2014} saksi.example/dprd {}\n", STANDARD.encode(bytes))
                    }
                    None => format!("{line}\n"),
                },
            )
            .collect();
        body = forged.into();
    }
    if mode == FORGED_PROOF && uri.path() == "/api/v1/proofs/inclusion" {
        let mut proof: Value = serde_json::from_slice(&body).unwrap();
        let first = proof["hashes"][0].as_str().unwrap();
        let mut bytes = STANDARD.decode(first).unwrap();
        bytes[0] ^= 1;
        proof["hashes"][0] = STANDARD.encode(bytes).into();
        body = serde_json::to_vec(&proof).unwrap().into();
    }
    let mut response = (status, body).into_response();
    if let Some(kind) = kind {
        response.headers_mut().insert(header::CONTENT_TYPE, kind);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Every step passed (the witnesses' quorum is not checked on a log
/// without a witness policy).
pub(crate) fn all_pass(steps: &[(String, String)]) {
    for name in [
        "checkpoint",
        "quorum",
        "leaf",
        "inclusion",
        "signatures",
        "consistency",
    ] {
        assert!(steps.iter().any(|(n, _)| n == name), "{name}: {steps:?}");
    }
    for (name, result) in steps {
        let skipped = name == "quorum" && result.starts_with("skipped");
        assert!(result.starts_with("pass") || skipped, "{name}: {result}");
    }
}

fn result_of<'a>(steps: &'a [(String, String)], name: &str) -> &'a str {
    &steps.iter().find(|(n, _)| n == name).unwrap().1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_verifies_in_the_browser_and_catches_a_forged_proof_and_a_rollback() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = demo_app(TestDb::sqlite()).await;

    // Every page, in both languages.
    for (name, path) in [
        ("beranda", "/"),
        ("program", "/program"),
        ("program-satu-data", "/program/satu-data"),
        ("kesinambungan", "/kesinambungan"),
        ("ledger", "/ledger"),
        ("entry-60", "/ledger/60"),
        ("programmes-en", "/program?lang=en"),
    ] {
        browser.open(&format!("{}{path}", app.base)).await;
        let title = browser.script("return document.title").await;
        assert!(
            title.as_str().unwrap().ends_with("prasasti"),
            "{path}: {title}"
        );
        let heading = browser
            .script("return document.querySelector('h1').textContent")
            .await;
        assert!(!heading.as_str().unwrap().is_empty(), "{path}");
        browser.screenshot(name).await;
    }

    // Readable on a phone: nothing wider than the screen.
    browser
        .command(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": 390, "height": 844})),
        )
        .await;
    for (name, path) in [
        ("phone-program", "/program"),
        ("phone-kesinambungan", "/kesinambungan"),
    ] {
        browser.open(&format!("{}{path}", app.base)).await;
        browser.assert_fits(path, name).await;
    }
    browser
        .command(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": 1280, "height": 1600})),
        )
        .await;

    // The visitor's browser checks everything itself, through a proxy
    // that the test can turn dishonest.
    let (site, proxy) = Proxy::start(&app.base).await;

    let steps = browser.verify(&site, 60, "verifikasi-first-visit").await;
    all_pass(&steps);
    // The visitor sees the statement that was checked, and the key's fingerprint.
    let shown = browser
        .script("return [document.getElementById('verified').hidden, document.getElementById('verified-summary').textContent, document.getElementById('verified-statement').textContent, document.getElementById('key-fingerprint').textContent]")
        .await;
    assert_eq!(shown[0], false, "{shown}");
    assert!(shown[1].as_str().unwrap().starts_with("#60 · "), "{shown}");
    assert!(shown[2].as_str().unwrap().contains("\"type\""), "{shown}");
    assert_eq!(shown[3].as_str().unwrap().split(' ').count(), 8, "{shown}");
    // The log grows; the next visit checks it is consistent with the first.
    let old = app.ledger.latest_checkpoint().await.unwrap();
    for i in 0..7 {
        let statement = demo::Step {
            statement: document(&format!("later-{i}")),
            signers: vec!["dewi"],
        };
        let (status, body) = app.submit(&demo::seal_step(ORIGIN, &statement)).await;
        assert_eq!(status, 201, "{body}");
    }
    let steps = browser
        .verify(&site, old.tree_size + 1, "verifikasi-second-visit")
        .await;
    all_pass(&steps);
    assert!(
        result_of(&steps, "consistency").contains(&format!(
            "{} → {}",
            old.tree_size,
            old.tree_size + 7
        )),
        "{steps:?}"
    );

    // A forged inclusion proof is caught, and only that step fails.
    proxy.mode.store(FORGED_PROOF, Ordering::SeqCst);
    let steps = browser.verify(&site, 60, "verifikasi-forged-proof").await;
    assert!(
        result_of(&steps, "inclusion").starts_with("fail"),
        "{steps:?}"
    );
    // Said in the page's language (the proxy passes no Accept-Language,
    // so Bahasa Indonesia).
    assert!(
        result_of(&steps, "inclusion").contains("akar lain"),
        "{steps:?}"
    );
    for name in ["checkpoint", "leaf", "signatures", "consistency"] {
        assert!(
            result_of(&steps, name).starts_with("pass"),
            "{name}: {steps:?}"
        );
    }

    // A checkpoint older than the one this browser saw is a rollback.
    *proxy.old_checkpoint.lock().unwrap() = old.note.clone();
    proxy.mode.store(ROLLED_BACK, Ordering::SeqCst);
    let steps = browser.verify(&site, 10, "verifikasi-rolled-back").await;
    assert!(
        result_of(&steps, "checkpoint").starts_with("pass"),
        "{steps:?}"
    );
    assert!(
        result_of(&steps, "consistency").starts_with("fail"),
        "{steps:?}"
    );

    // A log key pasted from elsewhere that is not this log's key fails the
    // first step, and the checks stop there.
    proxy.mode.store(HONEST, Ordering::SeqCst);
    browser.open(&format!("{site}/verifikasi?lang=en")).await;
    let stranger = prasasti::tlog::note::NoteSigner::from_seed(ORIGIN, [9; 32]).unwrap();
    browser
        .script(&format!(
            "document.getElementById('vkey').value = '{}'; document.getElementById('verify-form').requestSubmit(); return true",
            stranger.verifier().to_vkey_string()
        ))
        .await;
    let started = Instant::now();
    loop {
        let result = browser
            .script("return document.querySelector('[data-step=checkpoint]').dataset.result || ''")
            .await;
        if result == "fail" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the wrong key was not caught"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = browser
        .script("return document.getElementById('verify-done').textContent")
        .await;
    assert!(text.as_str().unwrap().contains("Stopped"), "{text}");
    // It is not the key this browser used for the log before: a warning.
    let warning = browser
        .script("const w = document.getElementById('key-warning'); return w.hidden ? '' : w.textContent")
        .await;
    assert!(
        warning.as_str().unwrap().starts_with("WARNING"),
        "{warning}"
    );
    browser.screenshot("verify-wrong-key").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_checks_each_witness_and_catches_a_forged_cosignature() {
    use crate::witnessing::{TestWitness, policy};
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (inspektorat, dprd) = (
        TestWitness::start("inspektorat", 31).await,
        TestWitness::start("dprd", 32).await,
    );
    let both = policy(
        &[&inspektorat, &dprd],
        "group g all inspektorat dprd\nquorum g\n",
    );
    let app = TestApp::spawn_witnessed(TestDb::sqlite(), both).await;
    for i in 0..4 {
        app.submit(&signed(&format!("doc-{i}"))).await;
    }
    assert!(
        prasasti::ledger::witnessing::round(&app.ledger)
            .await
            .unwrap()
    );
    let (site, proxy) = Proxy::start(&app.base).await;

    // Beranda names the witnesses and when each last cosigned.
    browser.open(&format!("{site}/")).await;
    let rows = browser
        .script("return Array.from(document.querySelectorAll('#witnesses tr[data-witness]')).map(r => r.dataset.witness + ': ' + r.textContent)")
        .await;
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].as_str().unwrap().starts_with("inspektorat: "),
        "{rows:?}"
    );
    assert!(rows[0].as_str().unwrap().contains("5 entri"), "{rows:?}");
    browser.screenshot("beranda-witnesses").await;

    // Each witness's cosignature is a step, and the quorum another.
    let steps = browser.verify(&site, 2, "verifikasi-witnessed").await;
    all_pass(&steps);
    for name in ["witness:inspektorat", "witness:dprd"] {
        assert!(result_of(&steps, name).starts_with("pass"), "{steps:?}");
    }

    // A forged cosignature fails that witness's step and the quorum, and
    // nothing else.
    proxy.mode.store(FORGED_COSIGNATURE, Ordering::SeqCst);
    let steps = browser
        .verify(&site, 2, "verifikasi-forged-cosignature")
        .await;
    assert!(
        result_of(&steps, "witness:dprd").starts_with("fail"),
        "{steps:?}"
    );
    assert!(
        result_of(&steps, "witness:dprd").contains("saksi.example/dprd"),
        "{steps:?}"
    );
    assert!(result_of(&steps, "quorum").starts_with("fail"), "{steps:?}");
    for name in [
        "checkpoint",
        "witness:inspektorat",
        "leaf",
        "inclusion",
        "signatures",
    ] {
        assert!(
            result_of(&steps, name).starts_with("pass"),
            "{name}: {steps:?}"
        );
    }

    // A policy pasted by the visitor that asks for a witness who never
    // cosigned is not met either.
    proxy.mode.store(HONEST, Ordering::SeqCst);
    let never = TestWitness::start("kampus", 33).await;
    let pasted = policy(
        &[&inspektorat, &dprd, &never],
        "group g all inspektorat dprd kampus\nquorum g\n",
    )
    .to_text();
    browser.open(&format!("{site}/verifikasi?entry=2")).await;
    browser
        .script(&format!(
            "document.getElementById('policy').value = {}; document.getElementById('verify-form').requestSubmit(); return true",
            serde_json::to_string(&pasted).unwrap()
        ))
        .await;
    let started = Instant::now();
    loop {
        let result = browser
            .script("const q = document.querySelector('[data-step=quorum]'); const k = document.querySelector('[data-step=\"witness:kampus\"]'); return [q.dataset.result || '', k ? (k.dataset.result || '') : '']")
            .await;
        if result[0] == "fail" {
            assert_eq!(result[1], "fail", "{result}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "not caught: {result}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.screenshot("verifikasi-pasted-policy").await;

    // On a phone, the witnesses' tables fit the screen.
    browser
        .command(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": 390, "height": 844})),
        )
        .await;
    for (name, path) in [
        ("phone-beranda-witnesses", "/"),
        ("phone-verifikasi-witnesses", "/verifikasi"),
    ] {
        browser.open(&format!("{site}{path}")).await;
        browser.assert_fits(path, name).await;
    }
}
