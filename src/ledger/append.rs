//! The append pipeline: one appender task per process takes every waiting
//! submission into one transaction with one checkpoint (group commit),
//! retries lost races as whole transactions, and builds proofs and replies
//! while the next batch commits.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, oneshot};

use super::entry::{self, Entry, RecordedAt, format_time};
use super::rules::{BatchFold, Refusal};
use super::statement::{self, VerifiedEnvelope};
use super::{Appended, Inner, LedgerError, MAX_BATCH};
use crate::store::{AppendTx, BatchWrite, NewEntry, StoreError, StoredCheckpoint};
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::hash::{CompactRange, Hash, NodeId};
use crate::tlog::proof::{self, ProofError};

/// Attempts of one append transaction before giving up.
const MAX_ATTEMPTS: u32 = 20;

/// A checked envelope waiting for the appender.
pub(super) struct Submission {
    pub(super) envelope: VerifiedEnvelope,
    /// Computed by the submitting task, so the appender does not.
    pub(super) digest: Hash,
}

/// The tree's right edge after the last batch this process committed,
/// with the leaf that batch ended on.
#[derive(Clone)]
pub(super) struct Edge {
    last_leaf: Hash,
    /// When that batch was recorded.
    recorded_at: RecordedAt,
    range: CompactRange,
}

/// Where a batch starts: the last leaf, the time its entries record, the
/// tree's right edge, the rules' state, and the statements already in the
/// log that the batch names (id → (index, digest)).
struct Start {
    prev: Hash,
    recorded_at: RecordedAt,
    range: CompactRange,
    fold: Option<Box<dyn BatchFold>>,
    known: HashMap<String, (u64, Hash)>,
}

/// A batch decided on its start, not yet written: the log's size it
/// starts at, each submission's outcome, the new entries and subtree
/// hashes, the edge it started on, and the edge and rules' state after it.
struct Placed {
    size: u64,
    outcomes: Vec<Pending>,
    entries: Vec<NewEntry>,
    nodes: Vec<(NodeId, Hash)>,
    edge_nodes: Vec<(NodeId, Hash)>,
    edge: Edge,
    fold: Option<Box<dyn BatchFold>>,
}

impl Placed {
    /// Whether every submission is a new entry or repeats one of this batch.
    fn all_new(&self) -> bool {
        self.outcomes
            .iter()
            .all(|o| matches!(o, Pending::New(_) | Pending::Existing(_)))
    }
}

/// The time a batch records: now, or the last batch's time if the clock
/// has gone back (recorded times never go backwards).
fn recorded_after(last: Option<RecordedAt>) -> RecordedAt {
    let now = Utc::now();
    RecordedAt::new(last.map_or(now, |l| l.instant().max(now)))
}

pub(super) struct Job {
    pub(super) submission: Submission,
    pub(super) reply: oneshot::Sender<Result<Appended, LedgerError>>,
}

impl Inner {
    fn sign_checkpoint(&self, size: u64, root: Hash) -> Result<StoredCheckpoint, LedgerError> {
        let checkpoint = Checkpoint {
            origin: self.signer.name().to_owned(),
            size,
            root,
        };
        let note = checkpoint
            .sign(&self.signer)
            .map_err(|e| LedgerError::AppendFailed(format!("cannot sign a checkpoint: {e}")))?;
        Ok(StoredCheckpoint {
            tree_size: size,
            root,
            note,
            signed_at: format_time(Utc::now()),
        })
    }

    /// Makes sure the current tree size has a signed checkpoint (a new, empty
    /// log gets its checkpoint of size 0 here).
    pub(super) async fn ensure_checkpoint(&self) -> Result<(), LedgerError> {
        retrying(|| async {
            let tx = self.store.begin_append().await?;
            let size = tx.head().await?.map_or(0, |h| h.size);
            if !tx.has_checkpoint(size).await? {
                let range = compact_range(&tx, size).await?;
                let checkpoint = self.sign_checkpoint(size, range.root())?;
                tx.insert(&BatchWrite {
                    entries: &[],
                    nodes: &[],
                    checkpoint: &checkpoint,
                    projection: None,
                })
                .await?;
                tx.commit().await?;
            }
            Ok(())
        })
        .await
    }

    /// Builds every inclusion proof of a committed batch from one read of
    /// stored hashes.
    async fn finish_batch(
        &self,
        committed: Committed,
    ) -> Result<Vec<Result<Appended, LedgerError>>, LedgerError> {
        let (outcomes, checkpoint, mut nodes) = committed;
        let size = checkpoint.tree_size;
        let mut ranges = Vec::new();
        for outcome in &outcomes {
            if let Outcome::Placed { index, .. } = outcome {
                ranges.push(proof::inclusion_ranges(*index, size)?);
            }
        }
        let wanted: Vec<NodeId> = proof::nodes_for(&ranges.concat())
            .into_iter()
            .filter(|id| !nodes.contains_key(id))
            .collect();
        if !wanted.is_empty() {
            nodes.extend(self.store.nodes(&wanted).await?);
        }
        let mut ranges = ranges.into_iter();
        let mut results = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            results.push(match outcome {
                Outcome::Conflict { id, index } => Err(LedgerError::Conflict { id, index }),
                Outcome::Refused(refusal) => Err(LedgerError::Refused(refusal)),
                Outcome::Unconsented => Err(LedgerError::GenesisWithoutLedgerSignature {
                    keyid: statement::keyid_of(self.verifier.verifying_key()),
                }),
                Outcome::Placed {
                    index,
                    leaf_hash,
                    entry,
                    created,
                } => {
                    let inclusion_proof =
                        proof::assemble(&ranges.next().unwrap_or_default(), &nodes)?;
                    Ok(Appended {
                        index,
                        leaf_hash,
                        entry,
                        checkpoint: checkpoint.note.clone(),
                        tree_size: size,
                        inclusion_proof,
                        created,
                    })
                }
            });
        }
        Ok(results)
    }

    /// One attempt at appending a batch in one transaction with one
    /// checkpoint: where the database allows, in one request on the head
    /// this process last left; else, or if that fails, under the lock with
    /// the head read.
    async fn try_append_batch(&self, batch: &[Submission]) -> Result<Committed, LedgerError> {
        if let Some(start) = self.start_from_memory() {
            let placed = self.place(batch, start);
            // Without the head read, a refusal could be a statement already
            // in the log (to be answered with its entry), and a submission
            // already in the log that the rules accept again is caught by
            // the database: both are decided the usual way.
            if placed.all_new() {
                match self.commit(placed, None).await {
                    Ok(committed) => return Ok(committed),
                    Err(e) => {
                        tracing::debug!(error = %e, "append in one request failed; appending with the head read");
                    }
                }
            }
            crate::metrics::metrics()
                .append_fallbacks
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let tx = self.store.begin_append().await?;
        let start = self.start_under_lock(&tx, batch).await?;
        let placed = self.place(batch, start);
        self.commit(placed, Some(tx)).await
    }

    fn edge(&self) -> Option<Edge> {
        self.edge
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Where the next batch starts if nothing has changed since this
    /// process's last batch: its edge and its rules' state, with no read.
    /// `None` where the database cannot take an append in one request, or
    /// the rules' state is elsewhere.
    fn start_from_memory(&self) -> Option<Start> {
        if !self.store.appends_at_once() {
            return None;
        }
        let edge = self.edge()?;
        let fold = match &self.rules {
            Some(rules) => Some(rules.resume(edge.range.size())?),
            None => None,
        };
        Some(Start {
            prev: edge.last_leaf,
            recorded_at: recorded_after(Some(edge.recorded_at)),
            range: edge.range,
            fold,
            known: HashMap::new(),
        })
    }

    /// Where the batch starts, read under the lock of `tx`: the head, which
    /// of the batch's statements are already in the log, the right edge
    /// (kept from this process's last batch if the head is where it ended)
    /// and the rules' state.
    async fn start_under_lock(
        &self,
        tx: &AppendTx,
        batch: &[Submission],
    ) -> Result<Start, LedgerError> {
        let ids: Vec<&str> = batch.iter().map(|s| s.envelope.statement_id()).collect();
        let (head, known) = tx.head_and_statements(&ids).await?;
        let size = head.as_ref().map_or(0, |h| h.size);
        let prev = head.as_ref().map_or(Hash::ZERO, |h| h.last_leaf);
        let last = head
            .as_ref()
            .and_then(|h| RecordedAt::parse(&h.last_recorded_at));
        // The same size and last leaf (which covers every entry before it
        // through `prev`) say the kept edge is this tree's.
        let kept = self
            .edge()
            .filter(|e| e.range.size() == size && e.last_leaf == prev);
        let range = match kept {
            Some(edge) => edge.range,
            None => compact_range(tx, size).await?,
        };
        let fold = match &self.rules {
            Some(rules) => Some(rules.begin(tx, size).await?),
            None => None,
        };
        Ok(Start {
            prev,
            recorded_at: recorded_after(last),
            range,
            fold,
            known,
        })
    }

    /// Decides each submission of the batch in turn on `start`: an entry
    /// of the log, a statement already there, or a refusal.
    fn place(&self, batch: &[Submission], start: Start) -> Placed {
        let Start {
            mut prev,
            recorded_at,
            mut range,
            mut fold,
            mut known,
        } = start;
        let size = range.size();
        // The old tree's right edge and the batch's new subtrees are every
        // hash the new entries' inclusion proofs need (each left sibling of a
        // new leaf's path is a whole subtree of the edge or a new one), so
        // the proofs need no read after the commit.
        let edge_nodes = range.nodes().to_vec();
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut entries = Vec::new();
        let mut nodes = Vec::new();
        for Submission {
            envelope,
            digest: envelope_digest,
        } in batch
        {
            if let Some(&(index, digest)) = known.get(envelope.statement_id()) {
                outcomes.push(if digest == *envelope_digest {
                    Pending::Existing(index)
                } else {
                    Pending::Conflict {
                        id: envelope.statement_id().to_owned(),
                        index,
                    }
                });
                continue;
            }
            let index = range.size();
            if index == 0 && !envelope.signers().contains(self.verifier.verifying_key()) {
                outcomes.push(Pending::Unconsented);
                continue;
            }
            let entry = Entry {
                v: entry::ENTRY_VERSION,
                index,
                prev,
                recorded_at,
                envelope: envelope.envelope().clone(),
            };
            if let Some(fold) = fold.as_mut()
                && let Err(refusal) = fold.apply(&entry, envelope)
            {
                outcomes.push(Pending::Refused(refusal));
                continue;
            }
            let body = entry.to_bytes();
            let leaf_hash = crate::tlog::hash::leaf_hash(&body);
            nodes.extend(range.push(leaf_hash));
            prev = leaf_hash;
            known.insert(
                envelope.statement_id().to_owned(),
                (index, *envelope_digest),
            );
            entries.push(NewEntry {
                index,
                statement_id: envelope.statement_id().to_owned(),
                digest: *envelope_digest,
                leaf_hash,
                recorded_at: recorded_at.to_string(),
                body,
            });
            outcomes.push(Pending::New(index));
        }
        Placed {
            size,
            outcomes,
            entries,
            nodes,
            edge_nodes,
            edge: Edge {
                last_leaf: prev,
                recorded_at,
                range,
            },
            fold,
        }
    }

    /// Commits a placed batch: in the transaction `tx` when given, else in
    /// one request that fails if the log has moved since the batch's start.
    async fn commit(&self, placed: Placed, tx: Option<AppendTx>) -> Result<Committed, LedgerError> {
        let Placed {
            size,
            outcomes,
            entries,
            nodes,
            edge_nodes,
            edge,
            mut fold,
        } = placed;
        let checkpoint = if entries.is_empty() {
            drop(tx);
            if let Some(fold) = fold {
                // It may have caught up with other servers' entries.
                fold.install();
            }
            self.latest_checkpoint().await?
        } else {
            let checkpoint = self.sign_checkpoint(edge.range.size(), edge.range.root())?;
            let projection = fold.as_mut().map(|f| f.projection());
            let batch = BatchWrite {
                entries: &entries,
                nodes: &nodes,
                checkpoint: &checkpoint,
                projection: projection.as_ref(),
            };
            match tx {
                Some(tx) => {
                    tx.insert(&batch).await?;
                    tx.commit().await?;
                }
                None => self.store.append_at_once(&batch).await?,
            }
            *self
                .edge
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(edge);
            if let Some(fold) = fold {
                fold.install();
            }
            checkpoint
        };

        // New entries of this batch follow the old head in order.
        let added = |index: u64| {
            let e = entries.get(usize::try_from(index.checked_sub(size)?).ok()?)?;
            Some((e.leaf_hash, e.body.clone()))
        };
        // Fill in the entries that were already in the log.
        let mut settled = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            settled.push(match outcome {
                Pending::New(index) => {
                    let (leaf_hash, entry) = added(index).ok_or_else(|| {
                        LedgerError::AppendFailed(format!(
                            "entry {index} is missing from its own batch"
                        ))
                    })?;
                    Outcome::Placed {
                        index,
                        leaf_hash,
                        entry,
                        created: true,
                    }
                }
                Pending::Existing(index) => {
                    if let Some((leaf_hash, entry)) = added(index) {
                        // The same envelope twice in one batch.
                        Outcome::Placed {
                            index,
                            leaf_hash,
                            entry,
                            created: false,
                        }
                    } else {
                        let stored = self.store.entry(index).await?.ok_or_else(|| {
                            StoreError::Corrupt(format!("entry {index} vanished"))
                        })?;
                        Outcome::Placed {
                            index,
                            leaf_hash: stored.leaf_hash,
                            entry: stored.body,
                            created: false,
                        }
                    }
                }
                Pending::Conflict { id, index } => Outcome::Conflict { id, index },
                Pending::Refused(refusal) => Outcome::Refused(refusal),
                Pending::Unconsented => Outcome::Unconsented,
            });
        }
        Ok((
            settled,
            checkpoint,
            edge_nodes.into_iter().chain(nodes).collect(),
        ))
    }
}

/// The right edge of the stored tree of `size` entries, read under the lock.
async fn compact_range(tx: &AppendTx, size: u64) -> Result<CompactRange, LedgerError> {
    let ids = CompactRange::node_ids(size);
    let nodes = tx.nodes(&ids).await?;
    let hashes = ids
        .iter()
        .map(|id| nodes.get(id).copied().ok_or(ProofError::MissingNode(*id)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CompactRange::from_hashes(size, &hashes).map_err(|e| StoreError::Corrupt(e.to_string()))?)
}

/// Counts a committed batch's entries and refusals.
fn record(metrics: &crate::metrics::Metrics, (outcomes, checkpoint, _): &Committed) {
    use std::sync::atomic::Ordering::Relaxed;
    metrics.batches.fetch_add(1, Relaxed);
    metrics.tree_size.store(checkpoint.tree_size, Relaxed);
    for outcome in outcomes {
        match outcome {
            Outcome::Placed { created: true, .. } => {
                metrics.entries_appended.fetch_add(1, Relaxed);
            }
            Outcome::Placed { .. } => {}
            Outcome::Conflict { .. } => metrics.refusals.inc(&["statement_id_conflict"]),
            Outcome::Refused(refusal) => metrics.refusals.inc(&[refusal.code()]),
            Outcome::Unconsented => metrics.refusals.inc(&["missing_ledger_signature"]),
        }
    }
}

/// A committed batch: each submission's outcome, the checkpoint covering
/// the batch, and the subtree hashes the batch added.
type Committed = (Vec<Outcome>, StoredCheckpoint, HashMap<NodeId, Hash>);

enum Pending {
    New(u64),
    Existing(u64),
    Conflict { id: String, index: u64 },
    Refused(Refusal),
    Unconsented,
}

enum Outcome {
    Placed {
        index: u64,
        leaf_hash: Hash,
        entry: Vec<u8>,
        created: bool,
    },
    Conflict {
        id: String,
        index: u64,
    },
    Refused(Refusal),
    Unconsented,
}

/// Runs a whole transaction again when the database says a retry may succeed.
async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, LedgerError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, LedgerError>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(LedgerError::Store(e)) if e.is_retryable() && tries + 1 < MAX_ATTEMPTS => {
                tries += 1;
                tracing::debug!(error = %e, tries, "append transaction will be retried");
                tokio::time::sleep(Duration::from_millis(5 << tries.min(6))).await;
            }
            other => return other,
        }
    }
}

/// The runtime the appenders run on: a thread of their own, so that an
/// appender woken by its database (four or five times a batch) runs at
/// once instead of queueing behind the tasks of HTTP requests on the shared
/// workers, where each wake-up measured about half a millisecond under
/// load. It lives as long as the process: database connections opened from
/// it are driven by it. `None` if its thread cannot be started (the
/// appender then runs where the ledger was opened).
pub(super) fn runtime() -> Option<&'static tokio::runtime::Runtime> {
    static RUNTIME: std::sync::OnceLock<Option<tokio::runtime::Runtime>> =
        std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("prasasti-appender")
                .enable_all()
                .build()
                .map_err(|e| tracing::warn!(error = %e, "no thread of its own for the appender"))
                .ok()
        })
        .as_ref()
}

/// The longest a batch waits for a round of signature checks in progress
/// to hand over its envelopes (a round of a few hundred takes about a
/// millisecond or two on two cores).
const LINGER: Duration = Duration::from_millis(3);

/// Moves the jobs already waiting into `batch`, up to [`MAX_BATCH`]; how
/// many it moved.
fn take_waiting(jobs: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>) -> usize {
    let before = batch.len();
    while batch.len() < MAX_BATCH {
        match jobs.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    batch.len() - before
}

/// The single appender of this process: takes every waiting submission
/// into one transaction (group commit), so one fsync and one checkpoint
/// serve many entries. While a batch commits, the next one gathers; proofs
/// and replies of a committed batch are built in another task.
///
/// Answers are built on `answers`, the runtime that opened the ledger, so
/// the appender's own thread (see [`runtime`]) does nothing else.
pub(super) async fn appender(
    inner: Arc<Inner>,
    mut jobs: mpsc::Receiver<Job>,
    answers: tokio::runtime::Handle,
) {
    let mut running: Option<Running> = None;
    loop {
        // The first job of the next batch; the batch in flight, if any, is
        // answered as soon as it ends, whether or not a job comes.
        let first = match running.as_mut() {
            None => jobs.recv().await,
            Some(batch) => tokio::select! {
                job = jobs.recv() => job,
                ended = &mut batch.task => {
                    if let Some(batch) = running.take() {
                        batch.answer(&inner, ended, &answers);
                    }
                    continue;
                }
            },
        };
        let Some(first) = first else { break };
        let mut batch = vec![first];
        take_waiting(&mut jobs, &mut batch);
        // Envelopes whose signatures are being checked are about to be
        // submitted: a batch that waits for them costs one commit less.
        if batch.len() < MAX_BATCH && running.is_none() {
            inner.checker.round_finished(LINGER).await;
            // Let the answered requests' tasks submit, while they do.
            loop {
                tokio::task::yield_now().await;
                if take_waiting(&mut jobs, &mut batch) == 0 {
                    break;
                }
            }
        }
        if let Some(mut previous) = running.take() {
            let ended = (&mut previous.task).await;
            previous.answer(&inner, ended, &answers);
            take_waiting(&mut jobs, &mut batch);
        }
        crate::metrics::metrics()
            .queue_depth
            .store(jobs.len() as u64, std::sync::atomic::Ordering::Relaxed);
        running = Some(Running::start(&inner, batch));
    }
    if let Some(mut last) = running {
        let ended = (&mut last.task).await;
        last.answer(&inner, ended, &answers);
    }
}

/// A batch being appended, in its own task: a panic in the rules (a bug)
/// fails this batch only, and the appender goes on serving.
struct Running {
    task: tokio::task::JoinHandle<Result<Committed, LedgerError>>,
    replies: Vec<oneshot::Sender<Result<Appended, LedgerError>>>,
    started: std::time::Instant,
}

impl Running {
    fn start(inner: &Arc<Inner>, batch: Vec<Job>) -> Running {
        let (submissions, replies): (Vec<Submission>, Vec<_>) =
            batch.into_iter().map(|j| (j.submission, j.reply)).unzip();
        let task = tokio::spawn({
            let inner = inner.clone();
            async move { retrying(|| inner.try_append_batch(&submissions)).await }
        });
        Running {
            task,
            replies,
            started: std::time::Instant::now(),
        }
    }

    /// Records the batch's metrics and answers its submitters (building
    /// their proofs in another task).
    fn answer(
        self,
        inner: &Arc<Inner>,
        ended: Result<Result<Committed, LedgerError>, tokio::task::JoinError>,
        answers: &tokio::runtime::Handle,
    ) {
        let Running {
            replies, started, ..
        } = self;
        let entries = replies.len();
        let committed = ended.unwrap_or_else(|e| {
            tracing::error!(error = %e, entries, "the append of a batch panicked; its submissions are refused and the appender goes on");
            Err(LedgerError::AppendFailed(
                "the ledger failed unexpectedly while checking this batch; nothing was appended (the cause is in the server's log)".into(),
            ))
        });
        let metrics = crate::metrics::metrics();
        tracing::debug!(entries, elapsed = ?started.elapsed(), "batch committed");
        metrics.batch_size.observe_count(entries as u64);
        metrics.batch_commit.observe(started.elapsed());
        if let Ok(committed) = &committed {
            record(metrics, committed);
        }
        let inner = inner.clone();
        answers.spawn(async move {
            let results = match committed {
                Ok(committed) => inner.finish_batch(committed).await,
                Err(e) => Err(e),
            };
            match results {
                Ok(results) => {
                    for (reply, result) in replies.into_iter().zip(results) {
                        let _ = reply.send(result);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, entries = replies.len(), "append failed");
                    let message = e.to_string();
                    for reply in replies {
                        let _ = reply.send(Err(LedgerError::AppendFailed(message.clone())));
                    }
                }
            }
        });
    }
}
