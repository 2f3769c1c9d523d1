//! The transparency site's pages, rendered from the demonstration ledger on
//! SQLite and PostgreSQL: every page in both languages, status badges in
//! plain words, rupiah formatting, and escaping of statement text.

use crate::common::*;
use prasasti::governance::demo::{self, Step, seal_step};

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.text().await.unwrap();
    if status == 200 && !path.starts_with("/static") {
        assert_eq!(kind, "text/html; charset=utf-8", "{path}");
        assert!(body.starts_with("<!DOCTYPE html>"), "{path}");
    }
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_renders_in_both_languages() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let pages = [
            (
                "/",
                "Enam dimensi kota cerdas",
                "The six smart-city dimensions",
            ),
            ("/program", "Cari judul", "Search titles"),
            ("/program/satu-data", "Komitmen", "Commitments"),
            (
                "/kesinambungan",
                "Kesinambungan antar kepala daerah",
                "Continuity across regional heads",
            ),
            ("/ledger", "Buku besar", "Ledger"),
            ("/ledger", "dinyatakan selesai", "is completed"),
            ("/ledger", " WIB</td>", " WIB</td>"),
            ("/", "dijadwalkan, tenggat", "is scheduled, due"),
            ("/ledger/3", "Pernyataan", "Statement"),
            (
                "/ledger/1",
                "Jabatan Bupati Karanganyar",
                "The office Bupati Karanganyar",
            ),
            ("/meja", "Kunci di perangkat ini", "Keys on this device"),
            (
                "/ledger?program=satu-data",
                "Entri program: Satu Data",
                "Entries of the programme: Satu Data",
            ),
            (
                "/verifikasi",
                "Verifikasi di peramban Anda",
                "Verify in your browser",
            ),
        ];
        for (path, id, en) in pages {
            let (status, body) = page(&app, path).await;
            assert_eq!(status, 200, "{path}");
            assert!(body.contains("<html lang=\"id\">"), "{path}");
            assert!(body.contains(id), "{path}: {id}");
            let sep = if path.contains('?') { '&' } else { '?' };
            let (status, body) = page(&app, &format!("{path}{sep}lang=en")).await;
            assert_eq!(status, 200);
            assert!(body.contains("<html lang=\"en\">"), "{path}");
            assert!(body.contains(en), "{path}: {en}");
        }
        // Accept-Language picks English when no ?lang= is given.
        let response = app
            .client
            .get(format!("{}/kesinambungan", app.base))
            .header("accept-language", "en-GB,en;q=0.9")
            .send()
            .await
            .unwrap();
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Continuity across regional heads")
        );
        let (status, css) = page(&app, "/static/site.css").await;
        assert_eq!(status, 200);
        assert!(css.contains(".badge"));
        for script in ["/static/verify.js", "/static/meja.js", "/static/bytes.js"] {
            let (status, text) = page(&app, script).await;
            assert_eq!(status, 200, "{script}");
            assert!(text.contains("crypto.subtle"), "{script}");
        }
        // An entry page carries its proof bundle and links to the verifier.
        let (_, entry) = page(&app, "/ledger/7").await;
        assert!(entry.contains("c2sp.org/tlog-proof@v1"));
        assert!(entry.contains("/verifikasi?entry=7"));
        // The programme's ledger lists the entries that concerned it, and no other.
        let (_, listed) = app
            .get_json("/api/v1/programmes/satu-data/entries?per_page=200")
            .await;
        let listed: Vec<u64> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_u64().unwrap())
            .collect();
        let (_, ledger) = page(&app, "/ledger?program=satu-data").await;
        for i in 0..app.ledger.latest_checkpoint().await.unwrap().tree_size {
            assert_eq!(
                ledger.contains(&format!("href=\"/ledger/{i}\"")),
                listed.contains(&i),
                "entry {i}"
            );
        }
        for missing in [
            "/program/nothing",
            "/ledger/100000",
            "/ledger/x",
            "/ledger?program=nothing",
        ] {
            let (status, body) = page(&app, missing).await;
            assert_eq!(status, 404, "{missing}");
            assert!(body.contains("<html"), "{missing}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_read_as_plain_words_and_money_as_rupiah() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let (_, list) = page(&app, "/program").await;
        for word in ["Berjalan", "Selesai", "Menunggu Penegasan", "Dihentikan"] {
            assert!(list.contains(word), "{word}");
        }
        let (_, satu_data) = page(&app, "/program/satu-data").await;
        assert!(satu_data.contains("Rp\u{a0}1.250.000.000"));
        assert!(satu_data.contains("Tercapai"));
        assert!(satu_data.contains("Siti Rahmawati, S.E., Ak. (Inspektur)"));
        let (_, umkm) = page(&app, "/program/pasar-umkm").await;
        assert!(umkm.contains("Tercapai Sebagian"));
        assert!(umkm.contains("Riwayat perubahan"), "amendment history");
        assert!(umkm.contains("Rp\u{a0}2.100.000.000"));
        let (_, ews) = page(&app, "/program/ews-longsor?lang=en").await;
        assert!(ews.contains("Overdue"));
        let (_, continuity) = page(&app, "/kesinambungan").await;
        for word in [
            "Pelaksana Tugas (Plt)",
            "Penjabat (Pj)",
            "Definitif",
            "Digabung ke program bank sampah provinsi",
            "Terlambat",
        ] {
            assert!(continuity.contains(word), "{word}");
        }
        let (_, filtered) = page(&app, "/program?pillar=branding").await;
        assert!(filtered.contains("E-ticketing Candi Cetho"));
        assert!(!filtered.contains("Satu Data Karanganyar"));
        let (_, searched) = page(&app, "/program?q=satu+data").await;
        assert!(searched.contains("Satu Data Karanganyar"));
        assert!(!searched.contains("E-ticketing Candi Cetho"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_from_statements_is_escaped() {
    let app = demo_app(TestDb::sqlite()).await;
    let hostile = "<script>alert(1)</script>";
    let Step { mut statement, .. } = demo::story(ORIGIN)
        .into_iter()
        .find(|s| s.statement["type"] == "programme.register")
        .unwrap();
    statement["id"] = "hostile".into();
    statement["programme"]["id"] = "hostile".into();
    statement["programme"]["title"] = hostile.into();
    statement["programme"]["description"] = format!("\"quoted\" & {hostile}").into();
    let step = Step {
        statement,
        signers: vec!["rina", "dewi"],
    };
    let envelope = seal_step(ORIGIN, &step);
    let (status, body) = app.submit(&envelope).await;
    assert_eq!(status, 201, "{body}");
    let entry = format!("/ledger/{}", body["index"]);
    for path in ["/program", "/program/hostile", "/ledger", entry.as_str()] {
        let (_, html) = page(&app, path).await;
        assert!(!html.contains(hostile), "{path} prints the script");
    }
    let (_, html) = page(&app, "/program/hostile").await;
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;quoted&quot; &amp;"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_and_feeds_carry_the_same_data() {
    on_each_backend(|db| async move {
        let app = demo_app(db).await;
        let response = app.get("/data/milestones.json").await;
        assert_eq!(response.headers()["content-type"], "application/json");
        let milestones: serde_json::Value = response.json().await.unwrap();
        let pilot = milestones
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "e-office-pilot")
            .unwrap();
        // OCDS names and statuses.
        assert_eq!(pilot["status"], "met");
        assert_eq!(pilot["dueDate"], "2022-06-30");
        assert_eq!(pilot["dateMet"], "2022-06-20");
        assert_eq!(pilot["type"], "delivery");
        let overdue = milestones
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "sensor-longsor-install")
            .unwrap();
        assert_eq!(
            (overdue["status"].as_str(), overdue["shownStatus"].as_str()),
            (Some("scheduled"), Some("overdue"))
        );

        let response = app.get("/data/programmes.csv").await;
        assert_eq!(
            response.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("programmes.csv")
        );
        let csv = response.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 8, "a header and seven programmes");
        assert!(lines[0].contains("budget_idr") && lines[0].contains("status"));
        assert!(csv.contains("awaiting_reaffirmation"));
        let commitments = app.get("/data/commitments.csv").await.text().await.unwrap();
        let umkm = commitments
            .lines()
            .find(|l| l.contains(",umkm-2000,"))
            .unwrap_or_else(|| panic!("{commitments}"));
        // The amended version: its budget and version number.
        assert!(
            umkm.starts_with("2100000000,") && umkm.ends_with(",2"),
            "{umkm}"
        );
        assert_eq!(app.get("/data/secrets.csv").await.status(), 404);
        assert_eq!(app.get("/data/programmes.xml").await.status(), 404);

        let response = app.get("/feed.atom").await;
        assert_eq!(
            response.headers()["content-type"],
            "application/atom+xml; charset=utf-8"
        );
        let feed = response.text().await.unwrap();
        assert!(feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
        assert_eq!(feed.matches("<entry>").count(), 50);
        // Entries in words, in Bahasa Indonesia with the English beside.
        assert!(
            feed.contains(
                "#89 Komitmen «E-ticketing di Candi Cetho dan Candi Sukuh» dinyatakan selesai"
            ),
            "{feed}"
        );
        assert!(
            feed.contains(
                "The commitment «E-ticketing di Candi Cetho dan Candi Sukuh» is completed"
            )
        );
        let feed = app
            .get("/program/e-ticketing-candi/feed.atom")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            feed.contains("dinyatakan selesai")
                && feed.contains("Program «E-ticketing Candi Cetho dan Candi Sukuh» didaftarkan"),
            "{feed}"
        );
        assert_eq!(app.get("/program/none/feed.atom").await.status(), 404);
    })
    .await;
}

/// The ledger's feed, asked for with a `Host` header naming another site.
async fn feed_with_forged_host(app: &TestApp) -> String {
    let response = app
        .client
        .get(format!("{}/feed.atom", app.base))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    response.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_links_come_from_the_configured_public_url_never_the_host_header() {
    let db = TestDb::sqlite();
    let mut config = test_config();
    config.public_url = Some("https://prasasti.karanganyar.example/".into());
    let app = TestApp::spawn_with(db, config).await;
    let feed = feed_with_forged_host(&app).await;
    assert!(!feed.contains("evil.example"), "{feed}");
    assert!(
        feed.contains("href=\"https://prasasti.karanganyar.example/ledger/0\""),
        "{feed}"
    );
    // Without one, links are relative to the site's root.
    let plain = TestApp::spawn(TestDb::sqlite()).await;
    let feed = feed_with_forged_host(&plain).await;
    assert!(
        !feed.contains("evil.example") && feed.contains("href=\"/ledger/0\""),
        "{feed}"
    );
    // Pages vary by language.
    let page = plain.get("/").await;
    assert!(
        page.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("Accept-Language")
    );
}
