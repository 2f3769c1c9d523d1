//! One batch of the append pipeline: where it starts (the head this
//! process left, or the head read under the log's write lock), deciding
//! each submission on that start, and committing the batch with its
//! checkpoint; then the inclusion proofs of what it appended.

use std::collections::HashMap;

use chrono::Utc;

use super::{Submission, retrying};
use crate::ledger::entry::{self, Entry, RecordedAt, format_time};
use crate::ledger::rules::{BatchFold, Refusal};
use crate::ledger::statement;
use crate::ledger::{Appended, Inner, LedgerError};
use crate::store::{AppendTx, BatchWrite, NewEntry, StoreError, StoredCheckpoint};
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::hash::{CompactRange, Hash, NodeId};
use crate::tlog::proof::{self, ProofError};

/// The tree's right edge after the last batch this process committed,
/// with the leaf that batch ended on.
#[derive(Clone)]
pub(in crate::ledger) struct Edge {
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
    pub(in crate::ledger) async fn ensure_checkpoint(&self) -> Result<(), LedgerError> {
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
    pub(super) async fn finish_batch(
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
    /// checkpoint: on the head this process last left, without reading it
    /// (on SQLite in one request); else, or if that fails, under the lock
    /// with the head read.
    pub(super) async fn try_append_batch(
        &self,
        batch: &[Submission],
    ) -> Result<Committed, LedgerError> {
        if let Some(start) = self.start_from_memory() {
            let placed = self.place(batch, start);
            // Without the head read, a refusal could be a statement already
            // in the log (to be answered with its entry), and a submission
            // already in the log that the rules accept again is caught by
            // the database: both are decided the usual way.
            if placed.all_new() {
                // SQLite takes the whole append in one request; PostgreSQL
                // in a transaction under the lock, still without the read.
                let tx = match self.store.appends_at_once() {
                    true => None,
                    false => Some(self.store.begin_append().await?),
                };
                match self.commit(placed, tx).await {
                    Ok(committed) => return Ok(committed),
                    Err(e) => {
                        tracing::debug!(error = %e, "append on the known head failed; appending with the head read");
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
    /// `None` before this process's first batch, or where the rules' state
    /// is elsewhere.
    fn start_from_memory(&self) -> Option<Start> {
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
    /// one request. A batch started from memory fails either way, writing
    /// nothing, if the log has moved since: its first index is taken.
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

/// A committed batch: each submission's outcome, the checkpoint covering
/// the batch, and the subtree hashes the batch added.
pub(super) type Committed = (Vec<Outcome>, StoredCheckpoint, HashMap<NodeId, Hash>);

enum Pending {
    New(u64),
    Existing(u64),
    Conflict { id: String, index: u64 },
    Refused(Refusal),
    Unconsented,
}

pub(super) enum Outcome {
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
