//! Governance on the ledger: offices, term-bound keys, programmes,
//! commitments, milestones, handovers and the continuity rule.
//!
//! The state is a deterministic fold of the log's entries
//! ([`State::apply`]). The server runs it inside every append transaction
//! (through [`crate::ledger::rules::Rules`]) and keeps it in projection
//! tables; the auditor runs the same fold from scratch ([`audit`]). The
//! model is normative in `docs/GOVERNANCE.md`.
//!
//! The words built on "fold", once each:
//! - `ledger::rules::Fold` is the hook's trait: anything the log can be
//!   folded into, one entry at a time; `BatchFold` is that inside an
//!   append transaction (it can also write its projection and install
//!   itself after the commit).
//! - [`StateFold`] is the governance rules' `BatchFold`: a [`State`]
//!   with the objects each entry changed.
//! - [`Folded`] is a state with the number of entries it covers (what the
//!   server keeps as current and as snapshots).
//! - `audit::AuditFold` is the auditor's fold: a `StateFold` that also
//!   remembers which key signed which entry, for compromise flags.

pub mod apply;
pub mod audit;
pub mod demo;
pub mod digests;
mod fold;
pub mod histories;
pub mod model;
pub mod state;
pub mod template;
pub mod views;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use self::apply::Assessment;
use crate::ledger::entry::Entry;
use crate::ledger::rules::{BatchFold, BoxFuture, Fold, Rules};
use crate::ledger::statement::VerifiedEnvelope;
use crate::ledger::{LedgerError, MAX_BATCH};
use crate::store::{AppendTx, ProjectedObject, Store, StoreError};
use crate::tlog::hash::Hash;

pub use self::fold::{Folded, StateFold, fold_stored};
pub use self::state::State;

use self::fold::{Shared, lock};

/// Keep a snapshot of the state every this many entries, so the state at
/// any older size is a short fold from the nearest one.
pub const SNAPSHOT_EVERY: u64 = 1024;
/// State hashes remembered per tree size.
const HASH_CACHE: usize = 4096;

/// Why the state hash is not answered.
#[derive(Debug, thiserror::Error)]
pub enum StateHashError {
    /// Another state hash is being computed; ask again shortly.
    #[error("another state hash is being computed; ask again in a moment")]
    Busy,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The governance rules of one ledger, with its current state. A clone
/// (every request takes one) is one shared reference.
#[derive(Clone)]
pub struct Governance {
    parts: Arc<Parts>,
}

struct Parts {
    store: Store,
    origin: String,
    shared: Arc<Shared>,
    hashes: Mutex<BTreeMap<u64, Hash>>,
    /// One state hash is computed at a time: anonymous requests must not
    /// be able to occupy every core.
    hashing: tokio::sync::Semaphore,
    hashes_computed: std::sync::atomic::AtomicU64,
}

/// Why the server will not start on a database.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The projection tables disagree with the entries.
    #[error(
        "the governance projection in the database does not match the log: {0}. It was changed behind the server, which will not trust it. Audit the log with `prasasti verify --database URL --vkey keys/ledger.vkey`, then rebuild the projection from the entries with `prasasti serve --rebuild-projection`"
    )]
    ProjectionMismatch(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<LoadError> for LedgerError {
    fn from(e: LoadError) -> LedgerError {
        match e {
            LoadError::Store(e) => LedgerError::Store(e),
            mismatch => LedgerError::WrongLedger(mismatch.to_string()),
        }
    }
}

impl Governance {
    /// Replays the log's entries into the state (keeping snapshots on the
    /// way) and checks that the stored projection agrees with them: rows
    /// changed behind the server's back are never trusted. With `rebuild`,
    /// a disagreeing projection is rewritten from the entries instead.
    pub async fn load(store: Store, origin: &str) -> Result<Governance, LoadError> {
        Governance::load_with(store, origin, false).await
    }

    /// [`load`](Self::load), rewriting a projection that disagrees with the entries.
    pub async fn load_with(
        store: Store,
        origin: &str,
        rebuild: bool,
    ) -> Result<Governance, LoadError> {
        let governance = Governance {
            parts: Arc::new(Parts {
                store,
                origin: origin.to_owned(),
                shared: Arc::new(Shared {
                    current: Mutex::new(Arc::new(Folded::default())),
                    snapshots: Mutex::new(BTreeMap::from([(0, Arc::new(Folded::default()))])),
                }),
                hashes: Mutex::new(BTreeMap::new()),
                hashing: tokio::sync::Semaphore::new(1),
                hashes_computed: std::sync::atomic::AtomicU64::new(0),
            }),
        };
        let projection = governance.parts.store.projection().await?;
        let head = governance.parts.store.head().await?.map_or(0, |h| h.size);
        let checked_size = projection.tree_size.unwrap_or(0).min(head);
        let mut replayed = governance
            .fold_up_to(StateFold::new(), checked_size, true)
            .await?;
        let objects = replayed.changed_objects();
        replayed.record_digests(&objects);
        if let Some(size) = projection.tree_size {
            let problem = if size > head {
                Some(format!("it covers {size} entries but the log has {head}"))
            } else {
                projection_difference(&objects, &projection)
            };
            if let Some(problem) = problem {
                if !rebuild {
                    return Err(LoadError::ProjectionMismatch(problem));
                }
                tracing::warn!(%problem, "rebuilding the governance projection from the entries");
                governance.rewrite_projection(&replayed).await?;
            }
        } else if rebuild {
            governance.rewrite_projection(&replayed).await?;
        }
        let fold = governance.fold_up_to(replayed, head, true).await?;
        let mut folded = fold.into_folded();
        folded.state.settle_digests();
        governance.parts.shared.install(folded);
        Ok(governance)
    }

    async fn rewrite_projection(&self, replayed: &StateFold) -> Result<(), StoreError> {
        let objects = replayed.changed_objects();
        let tx = self.parts.store.begin_append().await?;
        tx.replace_projection(replayed.size(), &objects).await?;
        tx.commit().await
    }

    /// Opens the ledger on `store` with the governance rules enforced on
    /// every append: what the server runs.
    pub async fn open_ledger(
        store: Store,
        signer: crate::tlog::note::NoteSigner,
    ) -> Result<(crate::ledger::Ledger, Governance), LedgerError> {
        Governance::open_witnessed_ledger(store, signer, None).await
    }

    /// Like [`open_ledger`](Self::open_ledger), publishing only the
    /// checkpoints `witnesses`' quorum cosigned when given.
    pub async fn open_witnessed_ledger(
        store: Store,
        signer: crate::tlog::note::NoteSigner,
        witnesses: Option<crate::ledger::witnessing::Witnessing>,
    ) -> Result<(crate::ledger::Ledger, Governance), LedgerError> {
        let governance = Governance::load(store.clone(), signer.name()).await?;
        let options = crate::ledger::LedgerOptions {
            rules: Some(governance.rules()),
            witnesses,
        };
        let ledger = crate::ledger::Ledger::open_with(store, signer, options).await?;
        Ok((ledger, governance))
    }

    /// The rules, for [`crate::ledger::Ledger::open_with_rules`].
    pub fn rules(&self) -> Arc<dyn Rules> {
        Arc::new(self.clone())
    }

    /// The current state, caught up with entries other servers appended.
    pub async fn current(&self) -> Result<Arc<Folded>, StoreError> {
        let snapshot = self.parts.shared.snapshot();
        let head = self.parts.store.head().await?.map_or(0, |h| h.size);
        if head <= snapshot.size {
            return Ok(snapshot);
        }
        let fold = self
            .fold_up_to(StateFold::from((*snapshot).clone()), head, true)
            .await?;
        let folded = fold.into_folded();
        self.parts.shared.install(folded.clone());
        Ok(Arc::new(folded))
    }

    /// How the rules would judge `entry` against the current state, with
    /// what it lacks; a refusal no signature can mend is
    /// [`LedgerError::Refused`]. Nothing changes.
    pub async fn assess(
        &self,
        entry: &Entry,
        envelope: &VerifiedEnvelope,
    ) -> Result<Assessment, LedgerError> {
        let folded = self.current().await?;
        Ok(folded.state.assess(entry, envelope)?)
    }

    /// Folds the stored entries after `fold` up to `size`, a chunk at a time
    /// on the blocking pool; with `remember`, keeps snapshots on the way.
    async fn fold_up_to(
        &self,
        mut fold: StateFold,
        size: u64,
        remember: bool,
    ) -> Result<StateFold, StoreError> {
        while fold.size() < size {
            // Stop at each snapshot mark, so the snapshot is exact.
            let next_mark = (fold.size() / SNAPSHOT_EVERY + 1) * SNAPSHOT_EVERY;
            let until = size.min(next_mark).min(fold.size() + MAX_BATCH as u64);
            let rows = self
                .parts
                .store
                .entries(fold.size(), until - fold.size())
                .await?;
            if rows.is_empty() {
                break;
            }
            let origin = self.parts.origin.clone();
            fold = tokio::task::spawn_blocking(move || {
                fold_stored(&mut fold, &origin, &rows).map(|()| fold)
            })
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))??;
            if remember && fold.size().is_multiple_of(SNAPSHOT_EVERY) {
                self.parts.shared.remember(Arc::new(fold.folded.clone()));
            }
        }
        Ok(fold)
    }

    /// The state after the first `size` entries (`size` at most the log's):
    /// the nearest snapshot before it, folded forward.
    pub async fn state_at(&self, size: u64) -> Result<Arc<Folded>, StoreError> {
        let current = self.current().await?;
        if size == current.size {
            return Ok(current);
        }
        let start = self.parts.shared.before(size).unwrap_or_default();
        if start.size == size {
            return Ok(start);
        }
        let fold = self
            .fold_up_to(StateFold::from((*start).clone()), size, false)
            .await?;
        Ok(Arc::new(fold.into_folded()))
    }

    /// The state hash after the first `size` entries (`size` at most the
    /// log's). Each hash is computed once and remembered; one is computed at
    /// a time. A request for an older size finding that work busy is told
    /// so ([`StateHashError::Busy`]) instead of queueing, so no number of
    /// requests can hold more than one core; requests for the current size
    /// wait for it and share its result.
    pub async fn state_hash(&self, size: u64) -> Result<Hash, StateHashError> {
        if let Some(hash) = lock(&self.parts.hashes).get(&size) {
            return Ok(*hash);
        }
        let is_current = size == self.current().await?.size;
        let _permit = if is_current {
            self.parts.hashing.acquire().await.ok()
        } else {
            self.parts.hashing.try_acquire().ok()
        }
        .ok_or(StateHashError::Busy)?;
        if let Some(hash) = lock(&self.parts.hashes).get(&size) {
            return Ok(*hash);
        }
        let folded = self.state_at(size).await?;
        let hash = tokio::task::spawn_blocking(move || folded.state.hash())
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.parts
            .hashes_computed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut hashes = lock(&self.parts.hashes);
        if hashes.len() >= HASH_CACHE {
            hashes.pop_first();
        }
        hashes.insert(size, hash);
        Ok(hash)
    }

    /// How many state hashes this process has computed (each is remembered).
    pub fn hashes_computed(&self) -> u64 {
        self.parts
            .hashes_computed
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// What differs between the state replayed from the entries and the stored
/// projection of the same size, if anything.
fn projection_difference(
    replayed: &[ProjectedObject],
    projection: &crate::store::Projection,
) -> Option<String> {
    let mut expected: BTreeMap<(String, String), String> = replayed
        .iter()
        .cloned()
        .map(|o| ((o.kind, o.id), o.body))
        .collect();
    for o in &projection.objects {
        match expected.remove(&(o.kind.clone(), o.id.clone())) {
            None => {
                return Some(format!(
                    "it holds {} {:?}, which the entries never made",
                    o.kind, o.id
                ));
            }
            Some(body) if body != o.body => {
                return Some(format!(
                    "its {} {:?} differs from the entries'",
                    o.kind, o.id
                ));
            }
            Some(_) => {}
        }
    }
    expected
        .into_keys()
        .next()
        .map(|(kind, id)| format!("it lacks {kind} {id:?}"))
}

impl Governance {
    /// A fold that starts from `snapshot` and, once its batch commits,
    /// installs itself as the current state.
    fn fold_from(&self, snapshot: &Folded) -> StateFold {
        let mut fold = StateFold::from(snapshot.clone());
        fold.owner = Some(self.parts.shared.clone());
        fold
    }
}

impl Rules for Governance {
    fn resume(&self, size: u64) -> Option<Box<dyn BatchFold>> {
        let snapshot = self.parts.shared.snapshot();
        (snapshot.size == size).then(|| Box::new(self.fold_from(&snapshot)) as Box<dyn BatchFold>)
    }

    fn begin<'a>(
        &'a self,
        tx: &'a AppendTx,
        size: u64,
    ) -> BoxFuture<'a, Result<Box<dyn BatchFold>, LedgerError>> {
        Box::pin(async move {
            let snapshot = self.parts.shared.snapshot();
            if snapshot.size > size {
                return Err(StoreError::Corrupt(format!(
                    "the governance state covers {} entries but the log has {size}",
                    snapshot.size
                ))
                .into());
            }
            let mut fold = self.fold_from(&snapshot);
            while fold.size() < size {
                let rows = tx
                    .entries(fold.size(), (size - fold.size()).min(MAX_BATCH as u64))
                    .await?;
                if rows.is_empty() {
                    return Err(
                        StoreError::Corrupt(format!("entry {} is missing", fold.size())).into(),
                    );
                }
                fold_stored(&mut fold, &self.parts.origin, &rows)?;
            }
            Ok(Box::new(fold) as Box<dyn BatchFold>)
        })
    }
}
