//! The append pipeline: one appender task per process takes every waiting
//! submission into one transaction with one checkpoint (group commit),
//! retries lost races as whole transactions, and builds proofs and replies
//! while the next batch commits. What one batch does is in [`batch`].

mod batch;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use self::batch::{Committed, Outcome};
use super::statement::VerifiedEnvelope;
use super::{Appended, Inner, LedgerError, MAX_BATCH};
use crate::tlog::hash::Hash;

pub(super) use self::batch::Edge;

/// A checked envelope waiting for the appender.
pub(super) struct Submission {
    pub(super) envelope: VerifiedEnvelope,
    /// Computed by the submitting task, so the appender does not.
    pub(super) digest: Hash,
}

/// Attempts of one append transaction before giving up.
const MAX_ATTEMPTS: u32 = 20;

pub(super) struct Job {
    pub(super) submission: Submission,
    pub(super) reply: oneshot::Sender<Result<Appended, LedgerError>>,
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
