//! The signing desk in a real headless Chromium: two demo officials, one
//! after the other in one browser, load their key files, draft and co-sign
//! a commitment that needs both offices, and the entry verifies on the
//! site; the key is non-extractable and survives a reload; a refused
//! statement shows its reason; every statement type and field has its
//! form and words.

use std::path::{Path, PathBuf};

use prasasti::governance::demo;
use prasasti::tlog::note::NoteSigner;
use serde_json::{Value, json};

use crate::browser::{Browser, all_pass};
use crate::common::*;

/// Writes a demo official's key file as `prasasti demo` does.
fn key_file(dir: &Path, stem: &str) -> PathBuf {
    let (_, key) = demo::officials(ORIGIN)
        .into_iter()
        .find(|(name, _)| name == stem)
        .unwrap_or_else(|| panic!("no demo official {stem}"));
    let signer = NoteSigner::from_seed(stem, key.to_bytes()).unwrap();
    let path = dir.join(format!("{stem}.key"));
    std::fs::write(&path, format!("{}\n", signer.to_private_string())).unwrap();
    path
}

async fn open_desk(browser: &Browser, url: &str) {
    browser.open(url).await;
    browser
        .wait_for(
            "document.getElementById('desk').dataset.ready === 'true'",
            "the desk",
        )
        .await;
}

async fn load_key(browser: &Browser, file: &Path, holder: &str) {
    browser.upload("#key-file", file).await;
    browser
        .script("document.getElementById('key-load').requestSubmit()")
        .await;
    browser
        .wait_for(
            &format!(
                "Array.from(document.querySelectorAll('.holder-name')).some(n => n.textContent === {})",
                json!(holder)
            ),
            holder,
        )
        .await;
}

/// Fills the form's fields: (data-field path, value).
async fn fill(browser: &Browser, fields: &[(&str, &str)]) {
    for (path, value) in fields {
        let found = browser
            .script(&format!(
                "const f = document.querySelector('[data-field=\"{path}\"] input, [data-field=\"{path}\"] select, [data-field=\"{path}\"] textarea');
                 if (!f) return false; f.value = {}; f.dispatchEvent(new Event('input')); return true;",
                json!(value)
            ))
            .await;
        assert_eq!(found, json!(true), "no field {path}");
    }
}

async fn add_item(browser: &Browser, path: &str) {
    browser
        .script(&format!(
            "document.querySelector('[data-path=\"{path}\"] > button.add').click()"
        ))
        .await;
}

async fn review_and_sign(browser: &Browser) {
    browser
        .script("document.getElementById('statement-form').requestSubmit()")
        .await;
    browser
        .wait_for(
            "!document.getElementById('desk-review').hidden",
            "the review screen",
        )
        .await;
    browser
        .script("document.getElementById('sign-button').click()")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_officials_co_sign_a_commitment_at_the_desk_and_it_verifies() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = demo_app(TestDb::sqlite()).await;
    let dir = output_dir("desk");
    let kadis = key_file(&dir, "diskominfo-yusuf");
    let bupati = key_file(&dir, "bupati-rina");
    open_desk(&browser, &format!("{}/meja", app.base)).await;

    // Every type has its words, and every field of every form its label.
    let unnamed = browser
        .script("return Array.from(document.querySelectorAll('#statement-type option[data-named=missing]')).map(o => o.value)")
        .await;
    assert_eq!(unnamed, json!([]));
    let types = browser
        .script("return Array.from(document.querySelectorAll('#statement-type option')).map(o => o.value).filter(v => v)")
        .await;
    assert_eq!(types.as_array().unwrap().len(), 22);
    for t in types.as_array().unwrap() {
        let unlabelled = browser
            .script(&format!(
                "const p = document.getElementById('statement-type'); p.value = {t}; p.dispatchEvent(new Event('change'));
                 document.querySelectorAll('#statement-fields button.add').forEach(b => b.click());
                 document.querySelectorAll('#statement-fields button.add').forEach(b => b.click());
                 return Array.from(document.querySelectorAll('#statement-fields [data-label=missing]')).map(n => n.dataset.field)"
            ))
            .await;
        assert_eq!(unlabelled, json!([]), "{t}");
    }

    // The Kepala Dinas loads the key and drafts a commitment.
    load_key(&browser, &kadis, "Yusuf Hidayat, S.Kom., M.M.").await;
    let whoami = browser
        .script("return document.getElementById('whoami').textContent")
        .await;
    assert!(
        whoami.as_str().unwrap().contains("Kepala Diskominfo"),
        "{whoami}"
    );
    browser.screenshot("desk-kadis").await;
    browser
        .script("const p = document.getElementById('statement-type'); p.value = 'commitment.make'; p.dispatchEvent(new Event('change'))")
        .await;
    add_item(&browser, "commitment.indicators").await;
    fill(
        &browser,
        &[
            ("commitment.id", "dataset-terbuka-500"),
            ("commitment.programme", "satu-data"),
            ("commitment.title", "500 dataset terbuka"),
            (
                "commitment.description",
                "Portal Satu Data memuat 500 dataset terbuka.",
            ),
            ("commitment.due", "2028-12-31"),
            ("commitment.budget.amount", "750000000"),
            ("commitment.budget.currency", "IDR"),
            ("commitment.budget.source", "APBD Kabupaten Karanganyar"),
            ("commitment.indicators.0.id", "i1"),
            ("commitment.indicators.0.name", "Dataset terbuka"),
            ("commitment.indicators.0.unit", "dataset"),
            ("commitment.indicators.0.baseline", "300"),
            ("commitment.indicators.0.target", "500"),
        ],
    )
    .await;
    review_and_sign(&browser).await;
    browser
        .wait_for(
            "document.getElementById('result-pending')",
            "a pending draft",
        )
        .await;
    let draft = browser
        .script("return document.getElementById('result-pending').dataset.draft")
        .await;
    let missing = browser
        .script("return document.getElementById('result-missing').textContent")
        .await;
    assert!(missing.as_str().unwrap().contains("Bupati"), "{missing}");
    browser.screenshot("desk-pending").await;

    // The key cannot be read out, and stays on this device after a reload.
    let exported = browser
        .script_async(
            "const done = arguments[arguments.length - 1];
             const open = indexedDB.open('prasasti-desk', 1);
             open.onsuccess = () => {
               const get = open.result.transaction('keys').objectStore('keys').getAll();
               get.onsuccess = async () => {
                 const k = get.result[0];
                 try { await crypto.subtle.exportKey('jwk', k.key); done('exported'); }
                 catch (e) { done([k.key.extractable, String(e.name)]); }
               };
             };",
        )
        .await;
    assert_eq!(exported, json!([false, "InvalidAccessError"]));
    open_desk(&browser, &format!("{}/meja?lang=id", app.base)).await;
    let kept = browser
        .script("return document.querySelectorAll('#key-list li[data-keyid]').length")
        .await;
    assert_eq!(kept, json!(1));
    // The draft waits in the signer's own inbox too, for whom it needs, in words.
    browser
        .wait_for(
            &format!("document.querySelector('li[data-draft={draft}]')"),
            "the draft in the inbox",
        )
        .await;
    let waiting = browser
        .script(&format!(
            "return document.querySelector('li[data-draft={draft}]').textContent"
        ))
        .await;
    assert!(
        waiting
            .as_str()
            .unwrap()
            .contains("menunggu Bupati (kepala daerah)"),
        "{waiting}"
    );
    open_desk(&browser, &format!("{}/meja", app.base)).await;

    // The Bupati loads the key on the same device; the draft is in the inbox.
    load_key(&browser, &bupati, "Rina Kusumawardani, S.H., M.H.").await;
    browser
        .wait_for(
            &format!("document.querySelector('li[data-draft={draft}] button')"),
            "the draft in the Bupati's inbox",
        )
        .await;
    browser.screenshot("desk-bupati-inbox").await;
    browser
        .script(&format!(
            "document.querySelector('li[data-draft={draft}] button').click()"
        ))
        .await;
    browser
        .wait_for(
            "!document.getElementById('desk-review').hidden",
            "the review of the draft",
        )
        .await;
    browser
        .script("document.getElementById('sign-button').click()")
        .await;
    browser
        .wait_for("document.getElementById('result-entry')", "the entry")
        .await;
    let entry: u64 = browser
        .script("return Number(document.getElementById('result-entry').dataset.entry)")
        .await
        .as_u64()
        .unwrap();
    browser.screenshot("desk-submitted").await;
    let (_, stored) = app.get_json(&format!("/api/v1/entries/{entry}")).await;
    let signatures = stored["entry"]["envelope"]["signatures"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(signatures, 2);
    all_pass(&browser.verify(&app.base, entry, "desk-verified").await);

    // Bappeda approves the report waiting in its inbox, from the desk too.
    let bappeda = key_file(&dir, "bappeda-dewi");
    open_desk(&browser, &format!("{}/meja", app.base)).await;
    load_key(&browser, &bappeda, "Dewi Anggraini, S.T., M.T.").await;
    let approve = "li.inbox-approve[data-milestone=portal-satu-data-400] button";
    browser
        .wait_for(
            &format!("document.querySelector('{approve}')"),
            "the report in Bappeda's inbox",
        )
        .await;
    browser
        .script(&format!("document.querySelector('{approve}').click()"))
        .await;
    review_and_sign(&browser).await;
    browser
        .wait_for(
            "document.getElementById('result-entry')",
            "the approval's entry",
        )
        .await;
    let (_, milestone) = app
        .get_json("/api/v1/milestones/portal-satu-data-400")
        .await;
    let approvals = &milestone["reports"][0]["approvals"];
    assert_eq!(approvals[0]["office"], "bappeda", "{milestone}");
    browser
        .wait_for(
            &format!("!document.querySelector('{approve}')"),
            "the inbox without the decided report",
        )
        .await;

    // A refused statement shows its reason on the page.
    open_desk(&browser, &format!("{}/meja", app.base)).await;
    browser
        .script("const p = document.getElementById('statement-type'); p.value = 'commitment.complete'; p.dispatchEvent(new Event('change'))")
        .await;
    fill(&browser, &[("commitment", "no-such-commitment")]).await;
    review_and_sign(&browser).await;
    browser
        .wait_for("document.getElementById('refusal')", "the refusal")
        .await;
    let refusal: Value = browser
        .script(
            "const r = document.getElementById('refusal'); return [r.dataset.code, r.textContent]",
        )
        .await;
    assert_eq!(refusal[0], "invalid_statement", "{refusal}");
    assert!(
        refusal[1].as_str().unwrap().contains("no-such-commitment"),
        "{refusal}"
    );
    browser.screenshot("desk-refused").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_key_is_gone_after_the_page_and_a_made_key_can_be_forgotten() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = demo_app(TestDb::sqlite()).await;
    let dir = output_dir("desk");
    let sekda = key_file(&dir, "sekda-joko");
    open_desk(&browser, &format!("{}/meja?lang=id", app.base)).await;

    // Only for this session: nothing is stored, and a reload forgets it.
    browser
        .script("document.getElementById('keep-session').checked = true")
        .await;
    load_key(&browser, &sekda, "Drs. Joko Santoso, M.M.").await;
    let kept = browser
        .script("return document.querySelector('#key-list li[data-keyid]').textContent")
        .await;
    assert!(kept.as_str().unwrap().contains("hanya sesi ini"), "{kept}");
    open_desk(&browser, &format!("{}/meja?lang=id", app.base)).await;
    let keys = browser
        .script("return document.querySelectorAll('#key-list li[data-keyid]').length")
        .await;
    assert_eq!(keys, json!(0));

    // A key made in the browser: enrolment file offered, not yet registered.
    browser
        .script("document.getElementById('key-label').value = 'pejabat-baru'; document.getElementById('key-generate').click()")
        .await;
    browser
        .wait_for(
            "!document.getElementById('enrolment-link').hidden",
            "the enrolment file",
        )
        .await;
    let enrolment = browser
        .script("const a = document.getElementById('enrolment-link'); return [a.download, document.getElementById('whoami-status') && document.getElementById('whoami-status').textContent]")
        .await;
    assert_eq!(enrolment[0], "pejabat-baru.enrolment.json");
    browser
        .wait_for(
            "document.getElementById('whoami-status')",
            "who the key belongs to",
        )
        .await;
    let status = browser
        .script("return document.getElementById('whoami-status').textContent")
        .await;
    assert!(
        status.as_str().unwrap().contains("belum terikat"),
        "{status}"
    );

    // Forgotten: gone from the page and from IndexedDB.
    browser
        .script(
            "window.confirm = () => true; document.querySelector('#key-list .forget-key').click()",
        )
        .await;
    browser
        .wait_for(
            "document.querySelectorAll('#key-list li[data-keyid]').length === 0",
            "the key forgotten",
        )
        .await;
    let stored = browser
        .script_async(
            "const done = arguments[arguments.length - 1];
             const open = indexedDB.open('prasasti-desk', 1);
             open.onsuccess = () => {
               const count = open.result.transaction('keys').objectStore('keys').count();
               count.onsuccess = () => done(count.result);
             };",
        )
        .await;
    assert_eq!(stored, json!(0));
}

/// This machine's address on its network (not loopback), if it has one.
fn network_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_plain_http_from_elsewhere_the_desk_says_signing_needs_https() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let Some(ip) = network_address() else {
        eprintln!("skipped: this machine has no network address besides loopback");
        return;
    };
    let app = TestApp::spawn(TestDb::sqlite()).await;
    // The site as a browser elsewhere on the network reaches it: plain
    // HTTP to a non-loopback address, which is not a secure context.
    let upstream = app.base.clone();
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    let client = prasasti::ledger::http::client().unwrap();
    let router = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let (client, upstream) = (client.clone(), upstream.clone());
        async move {
            let answer = client.get(format!("{upstream}{uri}")).send().await.unwrap();
            let kind = answer.headers()["content-type"].clone();
            (
                [(axum::http::header::CONTENT_TYPE, kind)],
                answer.bytes().await.unwrap(),
            )
        }
    });
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    browser.open(&format!("{site}/meja?lang=id")).await;
    browser
        .wait_for("!document.getElementById('insecure').hidden", "the warning")
        .await;
    let warning = browser
        .script("return [window.isSecureContext, document.getElementById('insecure').textContent]")
        .await;
    assert_eq!(warning[0], false);
    assert!(warning[1].as_str().unwrap().contains("HTTPS"), "{warning}");
    browser.screenshot("desk-insecure").await;
}
