//! The ledger: statements, entries, the append pipeline with group commit,
//! proofs and tiles, and the verifier. Built from [`crate::tlog`] and
//! [`crate::store`].

mod append;

use self::append::{Job, Submission, appender};
pub mod entry;
pub mod http;
pub mod jcs;
pub mod rules;
pub mod signatures;
pub mod statement;
pub mod verify;
pub mod witnessing;

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use self::entry::Entry;
use self::rules::{Refusal, Rules};
use self::statement::{Envelope, VerifiedEnvelope};
use self::witnessing::Witnessing;
use crate::store::{Store, StoreError, StoredCheckpoint};
use crate::tlog::hash::{Hash, NodeId};
use crate::tlog::note::{NoteSigner, NoteVerifier};
use crate::tlog::proof::{self, ProofError};
use crate::tlog::tile::{self, Tile, TileKind};

/// Most envelopes committed in one transaction.
pub const MAX_BATCH: usize = 1024;

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
    /// The envelope breaks a rule of its own (FORMAT.md §1).
    #[error(transparent)]
    Envelope(#[from] statement::EnvelopeError),
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

/// What appending an envelope now would meet, short of the rules above
/// the log: see [`Ledger::prospect`].
#[derive(Debug)]
pub enum Prospect {
    /// The identical envelope is already this entry.
    InLog(u64),
    /// It would become this entry, if the rules above the log accept it.
    Next(Entry),
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
    witnessing: Option<Arc<Witnessing>>,
    checker: signatures::EnvelopeChecker,
    /// The right edge of the tree as this process last committed it, so a
    /// batch need not read it again when the head shows nobody else
    /// appended since.
    edge: std::sync::Mutex<Option<append::Edge>>,
}

/// How a ledger is opened beyond its database and key.
#[derive(Default)]
pub struct LedgerOptions {
    /// The rules above the log, deciding on every new entry inside the
    /// append transaction.
    pub rules: Option<Arc<dyn Rules>>,
    /// The witness policy: when given, the published checkpoint is the
    /// newest one its quorum cosigned (see [`witnessing`]).
    pub witnesses: Option<Witnessing>,
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
        let options = LedgerOptions {
            rules,
            ..Default::default()
        };
        Ledger::open_with(store, signer, options).await
    }

    /// Like [`open`](Self::open), with `options`.
    pub async fn open_with(
        store: Store,
        signer: NoteSigner,
        options: LedgerOptions,
    ) -> Result<Ledger, LedgerError> {
        let verifier = signer.verifier();
        let vkey = verifier.to_vkey_string();
        let stored = store.meta_or_insert("verifier_key", &vkey).await?;
        if stored != vkey {
            return Err(LedgerError::WrongLedger(format!(
                "this database belongs to the ledger with key {stored}, not {vkey}"
            )));
        }
        if let Some(witnessing) = &options.witnesses {
            let other =
                witnessing.policy().logs.iter().find(|log| {
                    log.key.name() == signer.name() && log.key.to_vkey_string() != vkey
                });
            if let Some(other) = other {
                return Err(LedgerError::WrongLedger(format!(
                    "the witness policy names the log {} with another key: {}",
                    signer.name(),
                    other.key.to_vkey_string()
                )));
            }
        }
        let checker = signatures::EnvelopeChecker::start(signer.name().to_owned());
        let inner = Arc::new(Inner {
            store,
            signer,
            verifier,
            rules: options.rules,
            witnessing: options.witnesses.map(Arc::new),
            checker,
            edge: std::sync::Mutex::new(None),
        });
        inner.ensure_checkpoint().await?;
        let (jobs, rx) = mpsc::channel(4 * MAX_BATCH);
        let answers = tokio::runtime::Handle::current();
        match append::runtime() {
            Some(runtime) => runtime.spawn(appender(inner.clone(), rx, answers)),
            None => tokio::spawn(appender(inner.clone(), rx, answers)),
        };
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

    /// Checks a posted envelope for this ledger, together with those of
    /// other requests arriving at the same time (on every core).
    pub async fn check_envelope(
        &self,
        envelope: Envelope,
    ) -> Result<VerifiedEnvelope, LedgerError> {
        match self.inner.checker.check(envelope).await {
            Some(result) => result.map_err(LedgerError::Envelope),
            None => Err(LedgerError::Closed),
        }
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Appends a verified envelope, waiting until it is durable and covered
    /// by a signed checkpoint. Resubmitting an identical envelope returns the
    /// existing entry; a different envelope with a used id is a conflict.
    pub async fn submit(&self, envelope: VerifiedEnvelope) -> Result<Appended, LedgerError> {
        let started = std::time::Instant::now();
        let (reply, rx) = oneshot::channel();
        let submission = Submission {
            digest: envelope.digest(),
            envelope,
        };
        self.jobs
            .send(Job { submission, reply })
            .await
            .map_err(|_| LedgerError::Closed)?;
        let result = rx.await.map_err(|_| LedgerError::Closed)?;
        crate::metrics::metrics()
            .submit_to_checkpoint
            .observe(started.elapsed());
        result
    }

    /// What appending `envelope` now would meet before the rules above the
    /// log judge it: the entry it is already (an identical envelope), a
    /// conflict, a genesis without the operator's consent, or the entry it
    /// would become. Nothing is written.
    pub async fn prospect(&self, envelope: &VerifiedEnvelope) -> Result<Prospect, LedgerError> {
        let store = &self.inner.store;
        if let Some(stored) = store.entry_by_statement(envelope.statement_id()).await? {
            if stored.digest == envelope.digest() {
                return Ok(Prospect::InLog(stored.index));
            }
            return Err(LedgerError::Conflict {
                id: envelope.statement_id().to_owned(),
                index: stored.index,
            });
        }
        let head = store.head().await?;
        let index = head.as_ref().map_or(0, |h| h.size);
        if index == 0
            && !envelope
                .signers()
                .contains(self.inner.verifier.verifying_key())
        {
            return Err(LedgerError::GenesisWithoutLedgerSignature {
                keyid: statement::keyid_of(self.inner.verifier.verifying_key()),
            });
        }
        let now = chrono::Utc::now();
        let last = head
            .as_ref()
            .and_then(|h| entry::parse_time(&h.last_recorded_at));
        Ok(Prospect::Next(Entry {
            v: entry::ENTRY_VERSION,
            index,
            prev: head.map_or(Hash::ZERO, |h| h.last_leaf),
            recorded_at: entry::RecordedAt::new(last.map_or(now, |l| l.max(now))),
            envelope: envelope.envelope().clone(),
        }))
    }

    /// The newest signed checkpoint.
    pub async fn latest_checkpoint(&self) -> Result<StoredCheckpoint, LedgerError> {
        self.inner.latest_checkpoint().await
    }

    /// The witness policy and what the witnesses last said, when the
    /// ledger has one.
    pub fn witnessing(&self) -> Option<&Witnessing> {
        self.inner.witnessing.as_deref()
    }

    /// The published checkpoint: with a witness policy, the newest one its
    /// quorum cosigned (`None` until one is); without, the newest signed.
    pub async fn published_checkpoint(&self) -> Result<Option<StoredCheckpoint>, LedgerError> {
        if self.inner.witnessing.is_some() {
            return Ok(self.inner.store.latest_witnessed_checkpoint().await?);
        }
        Ok(Some(self.inner.latest_checkpoint().await?))
    }

    /// The checkpoint an entry's proof is made against: the published one
    /// once it covers the entry, else the newest signed one.
    pub async fn checkpoint_covering(&self, index: u64) -> Result<StoredCheckpoint, LedgerError> {
        if let Some(published) = self.published_checkpoint().await?
            && published.tree_size > index
        {
            return Ok(published);
        }
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
}
