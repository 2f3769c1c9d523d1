//! The witness on SQLite and PostgreSQL: every status of tlog-witness over
//! HTTP, 32 concurrent requests from one size of which exactly one wins, a
//! forked log never cosigned, a step back refused by the database itself,
//! and its memory kept across a restart. The log here is not prasasti:
//! any C2SP checkpoint signer will do.

use prasasti::store::Store;
use prasasti::tlog::checkpoint::Checkpoint;
use prasasti::tlog::cosignature::Cosigner;
use prasasti::tlog::hash::{CompactRange, Hash, leaf_hash};
use prasasti::tlog::note::{self, NoteSigner};
use prasasti::tlog::witness::AddCheckpoint;
use prasasti::witness::Witness;

use crate::common::*;

const ORIGIN: &str = "example.org/another-log";

fn log_key() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, [5; 32]).unwrap()
}

fn cosigner() -> Cosigner {
    Cosigner::from_seed("saksi.dprd.example", [6; 32]).unwrap()
}

/// The tree of `n` leaves (leaf i is the bytes of i), and of `n` leaves of
/// another history.
fn range(n: u64, fork: bool) -> CompactRange {
    let mut range = CompactRange::default();
    for i in 0..n {
        let leaf = if fork && i >= 2 { i + 1000 } else { i };
        range.push(leaf_hash(&leaf.to_be_bytes()));
    }
    range
}

fn signed(n: u64, fork: bool) -> String {
    Checkpoint {
        origin: ORIGIN.into(),
        size: n,
        root: range(n, fork).root(),
    }
    .sign(&log_key())
    .unwrap()
}

/// A consistency proof from `old` to `new` between trees whose leaf i is
/// the bytes of i, built from the leaves.
pub(crate) fn proof(old: u64, new: u64) -> Vec<Hash> {
    use prasasti::tlog::proof;
    let ranges = proof::consistency_ranges(old, new).unwrap();
    let mut nodes = std::collections::HashMap::new();
    for id in proof::nodes_for(&ranges) {
        let first = id.index << id.level;
        let mut sub = CompactRange::default();
        for i in first..first + (1u64 << id.level) {
            sub.push(leaf_hash(&i.to_be_bytes()));
        }
        nodes.insert(id, sub.root());
    }
    ranges
        .into_iter()
        .map(|r| proof::range_hash(r, &nodes).unwrap())
        .collect()
}

fn body(old: u64, new: u64, fork: bool) -> String {
    AddCheckpoint {
        old,
        proof: if old == 0 || old == new {
            Vec::new()
        } else {
            proof(old, new)
        },
        checkpoint: signed(new, fork),
    }
    .to_body()
}

async fn serve(db: &TestDb) -> (String, tokio::sync::oneshot::Sender<()>) {
    let store = Store::connect(&db.url).await.unwrap();
    let witness = Witness::new(cosigner(), vec![log_key().verifier()], store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, witness.router())
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    (base, tx)
}

async fn post(base: &str, body: String) -> (u16, String, String) {
    let response = prasasti::ledger::http::client()
        .unwrap()
        .post(format!("{base}/add-checkpoint"))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_witness_answers_as_tlog_witness_says_and_never_cosigns_a_fork() {
    on_each_backend(|db| async move {
        let (base, stop) = serve(&db).await;
        // First contact, then growth with a proof: cosigned.
        let (status, _, line) = post(&base, body(0, 5, false)).await;
        assert_eq!(status, 200, "{line}");
        let opened = note::open(
            &format!("{}{line}", signed(5, false)),
            &[log_key().verifier()],
        )
        .unwrap();
        assert!(
            cosigner()
                .verifier()
                .verify(&opened.text, &opened.unverified[0])
                .is_some()
        );
        assert_eq!(post(&base, body(5, 9, false)).await.0, 200);
        // Wrong old size: 409 with the size held, as text/x.tlog.size.
        let (status, kind, size) = post(&base, body(5, 12, false)).await;
        assert_eq!(
            (status, kind.as_str(), size.as_str()),
            (409, "text/x.tlog.size", "9\n")
        );
        // The other refusals, each changing nothing.
        let stranger = NoteSigner::from_seed("example.org/unknown", [1; 32]).unwrap();
        let unknown = AddCheckpoint {
            old: 9,
            proof: Vec::new(),
            checkpoint: Checkpoint {
                origin: "example.org/unknown".into(),
                size: 9,
                root: range(9, false).root(),
            }
            .sign(&stranger)
            .unwrap(),
        };
        assert_eq!(post(&base, unknown.to_body()).await.0, 404);
        let impostor = NoteSigner::from_seed(ORIGIN, [2; 32]).unwrap();
        let mut forged = AddCheckpoint::parse(&body(9, 12, false)).unwrap();
        forged.checkpoint = Checkpoint {
            origin: ORIGIN.into(),
            size: 12,
            root: range(12, false).root(),
        }
        .sign(&impostor)
        .unwrap();
        assert_eq!(post(&base, forged.to_body()).await.0, 403);
        assert_eq!(
            post(&base, "old 13\n\n".to_owned() + &signed(12, false))
                .await
                .0,
            400
        );
        assert_eq!(post(&base, "nonsense".into()).await.0, 400);
        let mut bad = AddCheckpoint::parse(&body(9, 12, false)).unwrap();
        bad.proof[0] = Hash::ZERO;
        assert_eq!(post(&base, bad.to_body()).await.0, 422);
        // A forked history: the same size with another root, or a larger
        // size whose proof cannot reach the root held: never cosigned.
        assert_eq!(post(&base, body(9, 9, true)).await.0, 422);
        let mut fork = AddCheckpoint::parse(&body(9, 12, false)).unwrap();
        fork.checkpoint = signed(12, true);
        assert_eq!(post(&base, fork.to_body()).await.0, 422);
        // Still at 9: the same checkpoint again is cosigned again.
        assert_eq!(post(&base, body(9, 9, false)).await.0, 200);
        let _ = stop.send(());

        // A restart remembers; a step back is refused by the database itself.
        let (base, _stop) = serve(&db).await;
        let (status, _, size) = post(&base, body(0, 3, false)).await;
        assert_eq!((status, size.as_str()), (409, "9\n"));
        let store = Store::connect(&db.url).await.unwrap();
        let held = store.witness_head(ORIGIN).await.unwrap().unwrap();
        let back = prasasti::store::WitnessHead {
            size: 3,
            root: range(3, false).root(),
            checkpoint: signed(3, false),
        };
        assert!(
            store
                .advance_witness(ORIGIN, Some(&held), &back, "now")
                .await
                .is_err()
        );
        assert_eq!(store.witness_head(ORIGIN).await.unwrap().unwrap(), held);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_thirty_two_requests_from_one_size_exactly_one_advances() {
    on_each_backend(|db| async move {
        let (base, _stop) = serve(&db).await;
        assert_eq!(post(&base, body(0, 4, false)).await.0, 200);
        let mut tasks = Vec::new();
        for i in 0..32u64 {
            let base = base.clone();
            tasks.push(tokio::spawn(async move {
                post(&base, body(4, 5 + i, false)).await
            }));
        }
        let mut won = Vec::new();
        for (i, task) in tasks.into_iter().enumerate() {
            let (status, _, text) = task.await.unwrap();
            match status {
                200 => won.push(5 + i as u64),
                409 => assert!(text.trim().parse::<u64>().unwrap() > 4, "{text}"),
                other => panic!("status {other}: {text}"),
            }
        }
        assert_eq!(won.len(), 1, "{won:?}");
        let store = Store::connect(&db.url).await.unwrap();
        assert_eq!(
            store.witness_head(ORIGIN).await.unwrap().unwrap().size,
            won[0]
        );
    })
    .await;
}
