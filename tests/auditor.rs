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
