//! Governance on the ledger: offices, term-bound keys, programmes,
//! commitments, milestones, handovers and the continuity rule.
//!
//! The state is a deterministic fold of the log's entries
//! ([`State::apply`]). The server runs it inside every append transaction
//! (through [`crate::ledger::rules::Rules`]) and keeps it in projection
//! tables; the auditor runs the same fold from scratch ([`audit`]). The
//! model is normative in `docs/GOVERNANCE.md`.

pub mod apply;
pub mod audit;
pub mod demo;
pub mod model;
pub mod state;
pub mod template;
pub mod views;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::ledger::entry::Entry;
use crate::ledger::rules::{BatchFold, BoxFuture, Fold, Refusal, Rules};
use crate::ledger::statement::VerifiedEnvelope;
use crate::ledger::{LedgerError, MAX_BATCH};
use crate::store::{AppendTx, ProjectedObject, Store, StoreError, StoredEntry};
use crate::tlog::hash::Hash;

pub use self::state::State;

/// The state after a number of entries.
#[derive(Clone, Debug, Default)]
pub struct Folded {
    /// Entries folded.
    pub size: u64,
    /// The state they produced.
    pub state: State,
}

/// A fold of the governance rules over entries, remembering which objects
/// changed since it started (for the projection).
pub struct StateFold {
    folded: Folded,
    changed: BTreeMap<(&'static str, String), u64>,
    owner: Option<Arc<Shared>>,
}

impl StateFold {
    /// A fold from the empty state.
    pub fn new() -> StateFold {
        StateFold::from(Folded::default())
    }

    /// The state so far.
    pub fn folded(&self) -> &Folded {
        &self.folded
    }

    /// Gives up the state.
    pub fn into_folded(self) -> Folded {
        self.folded
    }
}

impl Default for StateFold {
    fn default() -> Self {
        StateFold::new()
    }
}

impl From<Folded> for StateFold {
    fn from(folded: Folded) -> StateFold {
        StateFold {
            folded,
            changed: BTreeMap::new(),
            owner: None,
        }
    }
}

impl Fold for StateFold {
    fn size(&self) -> u64 {
        self.folded.size
    }

    fn apply(&mut self, entry: &Entry, envelope: &VerifiedEnvelope) -> Result<(), Refusal> {
        // State::apply checks every rule before it changes anything, so a
        // refusal needs no copy to roll back; debug builds make sure of it.
        #[cfg(debug_assertions)]
        let before = self.folded.state.clone();
        let touched = match self.folded.state.apply(entry, envelope) {
            Ok(touched) => touched,
            Err(refusal) => {
                #[cfg(debug_assertions)]
                assert!(
                    before == self.folded.state,
                    "entry {}: a refused {} changed the state",
                    entry.index,
                    envelope.statement_type
                );
                return Err(refusal);
            }
        };
        self.folded.size = entry.index + 1;
        for key in touched {
            self.changed.insert(key, entry.index);
        }
        Ok(())
    }

    fn skip(&mut self) {
        self.folded.size += 1;
    }

    fn state_hash(&self) -> Hash {
        self.folded.state.hash()
    }
}

impl BatchFold for StateFold {
    fn persist<'a>(&'a mut self, tx: &'a AppendTx) -> BoxFuture<'a, Result<(), LedgerError>> {
        Box::pin(async move {
            let objects: Vec<ProjectedObject> = self
                .changed
                .iter()
                .filter_map(|((kind, id), index)| {
                    Some(ProjectedObject {
                        kind: (*kind).to_owned(),
                        id: id.clone(),
                        body: self.folded.state.object_json(kind, id)?,
                        last_index: *index,
                    })
                })
                .collect();
            tx.write_projection(self.folded.size, &objects).await?;
            Ok(())
        })
    }

    fn install(self: Box<Self>) {
        if let Some(owner) = &self.owner {
            owner.install(self.folded.clone());
        }
    }
}

/// Folds stored entries onto `fold`. An entry the rules refuse (it can only
/// have been written behind the server's back) changes nothing; it is
/// logged, and `prasasti verify` reports it.
pub fn fold_stored(
    fold: &mut dyn Fold,
    origin: &str,
    rows: &[StoredEntry],
) -> Result<(), StoreError> {
    for row in rows {
        if row.index != fold.size() {
            return Err(StoreError::Corrupt(format!(
                "entry {} follows entry {} in the log",
                row.index,
                fold.size()
            )));
        }
        let entry = Entry::parse(&row.body)
            .map_err(|e| StoreError::Corrupt(format!("entry {}: {e}", row.index)))?;
        // Its signatures were checked when it was appended; `prasasti
        // verify` checks them again.
        let envelope = VerifiedEnvelope::from_own_log(entry.envelope.clone(), origin)
            .map_err(|e| StoreError::Corrupt(format!("entry {}: {e}", row.index)))?;
        if let Err(refusal) = fold.apply(&entry, &envelope) {
            tracing::error!(index = row.index, %refusal, "an entry in the log breaks the governance rules; run `prasasti verify`");
            fold.skip();
        }
    }
    Ok(())
}

struct Shared {
    current: Mutex<Arc<Folded>>,
}

impl Shared {
    fn snapshot(&self) -> Arc<Folded> {
        self.current.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn install(&self, folded: Folded) {
        if let Ok(mut current) = self.current.lock()
            && folded.size >= current.size
        {
            *current = Arc::new(folded);
        }
    }
}

/// The governance rules of one ledger, with its current state.
#[derive(Clone)]
pub struct Governance {
    store: Store,
    origin: String,
    shared: Arc<Shared>,
    history: Arc<Mutex<Option<Arc<Folded>>>>,
}

impl Governance {
    /// Loads the state from the projection in `store` and catches up with
    /// the log (or replays the whole log when there is no projection).
    pub async fn load(store: Store, origin: &str) -> Result<Governance, StoreError> {
        let projection = store.projection().await?;
        let head = store.head().await?.map_or(0, |h| h.size);
        let mut folded = Folded::default();
        if let Some(size) = projection.tree_size.filter(|s| *s <= head) {
            for o in &projection.objects {
                folded
                    .state
                    .load_object(&o.kind, &o.id, &o.body)
                    .map_err(|e| {
                        StoreError::Corrupt(format!("projection {} {}: {e}", o.kind, o.id))
                    })?;
            }
            folded.size = size;
        }
        let governance = Governance {
            store,
            origin: origin.to_owned(),
            shared: Arc::new(Shared {
                current: Mutex::new(Arc::new(folded)),
            }),
            history: Arc::new(Mutex::new(None)),
        };
        governance.current().await?;
        Ok(governance)
    }

    /// Opens the ledger on `store` with the governance rules enforced on
    /// every append: what the server runs.
    pub async fn open_ledger(
        store: Store,
        signer: crate::tlog::note::NoteSigner,
    ) -> Result<(crate::ledger::Ledger, Governance), LedgerError> {
        let governance = Governance::load(store.clone(), signer.name()).await?;
        let ledger =
            crate::ledger::Ledger::open_with_rules(store, signer, Some(governance.rules())).await?;
        Ok((ledger, governance))
    }

    /// The rules, for [`crate::ledger::Ledger::open_with_rules`].
    pub fn rules(&self) -> Arc<dyn Rules> {
        Arc::new(self.clone())
    }

    /// The current state, caught up with entries other servers appended.
    pub async fn current(&self) -> Result<Arc<Folded>, StoreError> {
        let snapshot = self.shared.snapshot();
        let head = self.store.head().await?.map_or(0, |h| h.size);
        if head <= snapshot.size {
            return Ok(snapshot);
        }
        let fold = self
            .fold_up_to(StateFold::from((*snapshot).clone()), head)
            .await?;
        let folded = fold.into_folded();
        self.shared.install(folded.clone());
        Ok(Arc::new(folded))
    }

    /// Folds the stored entries after `fold` up to `size`, a chunk at a time
    /// on the blocking pool.
    async fn fold_up_to(&self, mut fold: StateFold, size: u64) -> Result<StateFold, StoreError> {
        while fold.size() < size {
            let rows = self
                .store
                .entries(fold.size(), (size - fold.size()).min(MAX_BATCH as u64))
                .await?;
            if rows.is_empty() {
                break;
            }
            let origin = self.origin.clone();
            fold = tokio::task::spawn_blocking(move || {
                fold_stored(&mut fold, &origin, &rows).map(|()| fold)
            })
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))??;
        }
        Ok(fold)
    }

    /// The state after the first `size` entries (`size` at most the log's).
    pub async fn state_at(&self, size: u64) -> Result<Arc<Folded>, StoreError> {
        let current = self.current().await?;
        if size == current.size {
            return Ok(current);
        }
        if let Ok(history) = self.history.lock()
            && let Some(h) = history.as_ref().filter(|h| h.size == size)
        {
            return Ok(h.clone());
        }
        let fold = self.fold_up_to(StateFold::new(), size).await?;
        let folded = Arc::new(fold.into_folded());
        if let Ok(mut history) = self.history.lock() {
            *history = Some(folded.clone());
        }
        Ok(folded)
    }
}

impl Rules for Governance {
    fn begin<'a>(
        &'a self,
        tx: &'a AppendTx,
        size: u64,
    ) -> BoxFuture<'a, Result<Box<dyn BatchFold>, LedgerError>> {
        Box::pin(async move {
            let snapshot = self.shared.snapshot();
            if snapshot.size > size {
                return Err(StoreError::Corrupt(format!(
                    "the governance state covers {} entries but the log has {size}",
                    snapshot.size
                ))
                .into());
            }
            let mut fold = StateFold::from((*snapshot).clone());
            fold.owner = Some(self.shared.clone());
            while fold.size() < size {
                let rows = tx
                    .entries(fold.size(), (size - fold.size()).min(MAX_BATCH as u64))
                    .await?;
                if rows.is_empty() {
                    return Err(
                        StoreError::Corrupt(format!("entry {} is missing", fold.size())).into(),
                    );
                }
                fold_stored(&mut fold, &self.origin, &rows)?;
            }
            Ok(Box::new(fold) as Box<dyn BatchFold>)
        })
    }
}
