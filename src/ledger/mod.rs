//! The ledger: statements, entries, the append pipeline with group commit,
//! proofs and tiles, and the verifier. Built from [`crate::tlog`] and
//! [`crate::store`].

pub mod entry;
pub mod rules;
pub mod statement;
pub mod verify;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, oneshot};

use self::entry::{Entry, RecordedAt, format_time, parse_time};
use self::rules::{Refusal, Rules};
use self::statement::{Envelope, VerifiedEnvelope};
use crate::store::{AppendTx, NewEntry, Store, StoreError, StoredCheckpoint};
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::hash::{CompactRange, Hash, NodeId};
use crate::tlog::note::{NoteSigner, NoteVerifier};
use crate::tlog::proof::{self, ProofError};
use crate::tlog::tile::{self, Tile, TileKind};

/// Most envelopes committed in one transaction.
pub const MAX_BATCH: usize = 1024;
/// Attempts of one append transaction before giving up.
const MAX_ATTEMPTS: u32 = 20;

/// Why the ledger could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The statement id is already used by a different envelope.
    #[error("statement id {id:?} is already used by entry {index} with a different envelope")]
    Conflict {
        /// The statement id.
        id: String,
        /// The entry holding it.
        index: u64,
    },
    /// The rules above the log refuse the statement.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Entry 0 of a log must carry a DSSE signature by the ledger's own key:
    /// the operator's consent to the genesis, so nobody else can claim a
    /// fresh ledger.
    #[error(
        "entry 0 must be signed by the ledger's own key {keyid} as well (the operator's consent): prasasti sign --key keys/ledger.key genesis.json"
    )]
    GenesisWithoutLedgerSignature {
        /// The ledger key's DSSE keyid.
        keyid: String,
    },
    /// A requested index or size is outside the log.
    #[error("{0}")]
    OutOfRange(String),
    /// The database belongs to another ledger or another key.
    #[error("{0}")]
    WrongLedger(String),
    /// A proof could not be assembled.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The batch this submission was part of could not be committed; the
    /// cause is in the server's log.
    #[error("the append could not be committed: {0}")]
    AppendFailed(String),
    /// The ledger is shutting down.
    #[error("the ledger is shutting down")]
    Closed,
}

/// The outcome of an accepted submission.
#[derive(Clone, Debug)]
pub struct Appended {
    /// Index of the entry.
    pub index: u64,
    /// Its leaf hash.
    pub leaf_hash: Hash,
    /// The entry's bytes.
    pub entry: Vec<u8>,
    /// A signed checkpoint covering the entry.
    pub checkpoint: String,
    /// Size of that checkpoint's tree.
    pub tree_size: u64,
    /// Inclusion proof of the entry in that tree.
    pub inclusion_proof: Vec<Hash>,
    /// False when the identical envelope was already in the log.
    pub created: bool,
}

/// A checked envelope waiting for the appender.
struct Submission {
    envelope: VerifiedEnvelope,
    /// Computed by the submitting task, so the appender does not.
    digest: Hash,
}

struct Job {
    submission: Submission,
    reply: oneshot::Sender<Result<Appended, LedgerError>>,
}

/// A ledger: one log, its key and its database.
#[derive(Clone)]
pub struct Ledger {
    inner: Arc<Inner>,
    jobs: mpsc::Sender<Job>,
}

struct Inner {
    store: Store,
    signer: NoteSigner,
    verifier: NoteVerifier,
    rules: Option<Arc<dyn Rules>>,
}

impl Ledger {
    /// Opens the ledger whose log key is `signer` (its name is the origin)
    /// on `store`, and starts its appender. The database remembers the
    /// origin and key it was first used with and refuses any other.
    pub async fn open(store: Store, signer: NoteSigner) -> Result<Ledger, LedgerError> {
        Ledger::open_with_rules(store, signer, None).await
    }

    /// Like [`open`](Self::open), with `rules` deciding on every new entry
    /// inside the append transaction.
    pub async fn open_with_rules(
        store: Store,
        signer: NoteSigner,
        rules: Option<Arc<dyn Rules>>,
    ) -> Result<Ledger, LedgerError> {
        let verifier = signer.verifier();
        let vkey = verifier.to_vkey_string();
        let stored = store.meta_or_insert("verifier_key", &vkey).await?;
        if stored != vkey {
            return Err(LedgerError::WrongLedger(format!(
                "this database belongs to the ledger with key {stored}, not {vkey}"
            )));
        }
        let inner = Arc::new(Inner {
            store,
            signer,
            verifier,
            rules,
        });
        inner.ensure_checkpoint().await?;
        let (jobs, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(appender(inner.clone(), rx));
        Ok(Ledger { inner, jobs })
    }

    /// The log's origin (its key's name).
    pub fn origin(&self) -> &str {
        self.inner.signer.name()
    }

    /// The log's verifier key.
    pub fn verifier(&self) -> &NoteVerifier {
        &self.inner.verifier
    }

    /// Adds the ledger key's DSSE signature to an envelope: the operator's
    /// consent that it may be entry 0 (the genesis). Only the operator, who
    /// holds the ledger key, can do this; see [`LedgerError::GenesisWithoutLedgerSignature`].
    pub fn consent_to_genesis(&self, envelope: &mut Envelope) -> Result<(), LedgerError> {
        statement::cosign(envelope, self.inner.signer.signing_key())
            .map_err(|e| LedgerError::AppendFailed(e.to_string()))
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Appends a verified envelope, waiting until it is durable and covered
    /// by a signed checkpoint. Resubmitting an identical envelope returns the
    /// existing entry; a different envelope with a used id is a conflict.
    pub async fn submit(&self, envelope: VerifiedEnvelope) -> Result<Appended, LedgerError> {
        let (reply, rx) = oneshot::channel();
        let submission = Submission {
            digest: envelope.digest(),
            envelope,
        };
        self.jobs
            .send(Job { submission, reply })
            .await
            .map_err(|_| LedgerError::Closed)?;
        rx.await.map_err(|_| LedgerError::Closed)?
    }

    /// The newest signed checkpoint.
    pub async fn latest_checkpoint(&self) -> Result<StoredCheckpoint, LedgerError> {
        self.inner.latest_checkpoint().await
    }

    /// The inclusion proof of `index` in the tree of `size` entries, and that tree's root.
    pub async fn inclusion_proof(
        &self,
        index: u64,
        size: u64,
    ) -> Result<(Vec<Hash>, Hash), LedgerError> {
        self.inner.check_size(size).await?;
        if index >= size {
            return Err(LedgerError::OutOfRange(format!(
                "index {index} is not below tree size {size}"
            )));
        }
        let ranges = proof::inclusion_ranges(index, size)?;
        self.inner
            .proof_with_root(&ranges, size, &HashMap::new())
            .await
    }

    /// The consistency proof between the trees of `old` and `new` entries.
    pub async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        self.inner.check_size(new).await?;
        if old == 0 || old > new {
            return Err(LedgerError::OutOfRange(format!(
                "old size must be between 1 and the new size {new}, got {old}"
            )));
        }
        let ranges = proof::consistency_ranges(old, new)?;
        Ok(self
            .inner
            .proof_with_root(&ranges, new, &HashMap::new())
            .await?
            .0)
    }

    /// The root hash of the tree of `size` entries.
    pub async fn root_at(&self, size: u64) -> Result<Hash, LedgerError> {
        self.inner.check_size(size).await?;
        Ok(self
            .inner
            .proof_with_root(&[], size, &HashMap::new())
            .await?
            .1)
    }

    /// The bytes of a tile, or `None` when the log does not have it (yet).
    pub async fn tile(&self, tile: Tile) -> Result<Option<Vec<u8>>, LedgerError> {
        let size = self.inner.latest_checkpoint().await?.tree_size;
        if !tile.exists_in(size) {
            return Ok(None);
        }
        let range = tile.node_range();
        match tile.kind {
            TileKind::Hashes { .. } => {
                let hashes = self
                    .inner
                    .store
                    .level_hashes(tile.tree_level(), range)
                    .await?;
                Ok(Some(hashes.iter().flat_map(|h| h.0).collect()))
            }
            TileKind::Entries => {
                let entries = self
                    .inner
                    .store
                    .entries(range.start, range.end - range.start)
                    .await?;
                if entries.len() as u64 != range.end - range.start {
                    return Err(StoreError::Corrupt(format!(
                        "entries {range:?} are not all stored"
                    ))
                    .into());
                }
                let bundle = tile::encode_entry_bundle(entries.iter().map(|e| e.body.as_slice()))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(Some(bundle))
            }
        }
    }
}

impl Inner {
    async fn latest_checkpoint(&self) -> Result<StoredCheckpoint, LedgerError> {
        self.store
            .latest_checkpoint()
            .await?
            .ok_or_else(|| StoreError::Corrupt("no checkpoint was ever issued".into()).into())
    }

    async fn check_size(&self, size: u64) -> Result<(), LedgerError> {
        let current = self.latest_checkpoint().await?.tree_size;
        if size > current {
            return Err(LedgerError::OutOfRange(format!(
                "tree size {size} is beyond the latest checkpoint's size {current}"
            )));
        }
        Ok(())
    }

    /// Assembles the hashes of `ranges` and the root of `0..size`, reading
    /// the stored subtrees not already in `known` in one query.
    async fn proof_with_root(
        &self,
        ranges: &[std::ops::Range<u64>],
        size: u64,
        known: &HashMap<NodeId, Hash>,
    ) -> Result<(Vec<Hash>, Hash), LedgerError> {
        let mut all = ranges.to_vec();
        all.push(0..size);
        let wanted: Vec<NodeId> = proof::nodes_for(&all)
            .into_iter()
            .filter(|id| !known.contains_key(id))
            .collect();
        let mut nodes = self.store.nodes(&wanted).await?;
        nodes.extend(known.iter().map(|(k, v)| (*k, *v)));
        let hashes = proof::assemble(ranges, &nodes)?;
        let root = proof::range_hash(0..size, &nodes)?;
        Ok((hashes, root))
    }

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
    async fn ensure_checkpoint(&self) -> Result<(), LedgerError> {
        retrying(|| async {
            let tx = self.store.begin_append().await?;
            let size = tx.head().await?.map_or(0, |h| h.size);
            if !tx.has_checkpoint(size).await? {
                let range = compact_range(&tx, size).await?;
                let checkpoint = self.sign_checkpoint(size, range.root())?;
                tx.insert(&[], &[], &checkpoint).await?;
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
        nodes.extend(self.store.nodes(&wanted).await?);
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

    /// One attempt at appending a batch in one transaction with one checkpoint.
    async fn try_append_batch(&self, batch: &[Submission]) -> Result<Committed, LedgerError> {
        let tx = self.store.begin_append().await?;
        let head = tx.head().await?;
        let ids: Vec<&str> = batch.iter().map(|s| s.envelope.statement_id()).collect();
        let mut known = tx.find_statements(&ids).await?;

        let size = head.as_ref().map_or(0, |h| h.size);
        let mut prev = head.as_ref().map_or(Hash::ZERO, |h| h.last_leaf);
        // recorded_at never goes backwards, even if the clock does.
        let now = Utc::now();
        let last = head.as_ref().and_then(|h| parse_time(&h.last_recorded_at));
        let recorded_at = RecordedAt::new(last.map_or(now, |l| l.max(now)));

        let mut range = compact_range(&tx, size).await?;
        let mut fold = match &self.rules {
            Some(rules) => Some(rules.begin(&tx, size).await?),
            None => None,
        };

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

        let checkpoint = if entries.is_empty() {
            drop(tx);
            if let Some(fold) = fold {
                // It may have caught up with other servers' entries.
                fold.install();
            }
            self.latest_checkpoint().await?
        } else {
            let checkpoint = self.sign_checkpoint(range.size(), range.root())?;
            if let Some(fold) = fold.as_mut() {
                fold.persist(&tx).await?;
            }
            tx.insert(&entries, &nodes, &checkpoint).await?;
            tx.commit().await?;
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
        let mut placed = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            placed.push(match outcome {
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
        Ok((placed, checkpoint, nodes.into_iter().collect()))
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

/// The single appender of this process: takes every waiting submission
/// into one transaction (group commit), so one fsync and one checkpoint
/// serve many entries. Proofs and replies of a committed batch are built in
/// another task while the next batch is being committed.
async fn appender(inner: Arc<Inner>, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (submissions, replies): (Vec<Submission>, Vec<_>) =
            batch.into_iter().map(|j| (j.submission, j.reply)).unzip();
        let started = std::time::Instant::now();
        let entries = submissions.len();
        // The batch runs in its own task, so a panic in the rules (a bug)
        // fails this batch only: the appender goes on serving.
        let attempt = tokio::spawn({
            let inner = inner.clone();
            async move { retrying(|| inner.try_append_batch(&submissions)).await }
        });
        let committed = attempt.await.unwrap_or_else(|e| {
            tracing::error!(error = %e, entries, "the append of a batch panicked; its submissions are refused and the appender goes on");
            Err(LedgerError::AppendFailed(
                "the ledger failed unexpectedly while checking this batch; nothing was appended (the cause is in the server's log)".into(),
            ))
        });
        tracing::debug!(entries, elapsed = ?started.elapsed(), "batch committed");
        let inner = inner.clone();
        tokio::spawn(async move {
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
