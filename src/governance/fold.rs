//! The governance rules' fold: [`StateFold`] applies entries to a
//! [`State`] and remembers what they changed, for the projection; once its
//! batch commits it installs itself into the [`Shared`] current state and
//! snapshots that the server reads.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::{SNAPSHOT_EVERY, State};
use crate::ledger::entry::Entry;
use crate::ledger::rules::{BatchFold, Fold, Refusal};
use crate::ledger::statement::VerifiedEnvelope;
use crate::store::{ProjectedObject, ProjectionChanges, StoreError, StoredEntry};
use crate::tlog::hash::Hash;

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
    pub(super) folded: Folded,
    changed: BTreeMap<(&'static str, String), u64>,
    pub(super) owner: Option<Arc<Shared>>,
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

    /// The objects changed since this fold started, as projection rows
    /// (from the empty state: every object of the state).
    pub(super) fn changed_objects(&self) -> Vec<ProjectedObject> {
        self.changed
            .iter()
            .filter_map(|((kind, id), index)| {
                Some(ProjectedObject {
                    kind: (*kind).to_owned(),
                    id: id.clone(),
                    body: self.folded.state.object_json(kind, id)?,
                    last_index: *index,
                })
            })
            .collect()
    }

    /// Records the digests of `objects` (this fold's changed objects, as
    /// just serialised for the projection) for the state hash.
    pub(super) fn record_digests(&mut self, objects: &[ProjectedObject]) {
        for o in objects {
            self.folded
                .state
                .digests
                .record(&o.kind, &o.id, o.body.as_bytes());
        }
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
                    envelope.statement_type()
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
    fn projection(&mut self) -> ProjectionChanges {
        let objects = self.changed_objects();
        self.record_digests(&objects);
        // Objects another server's entries changed, folded by a reader
        // before this batch began, are still stale: settle them too.
        self.folded.state.settle_digests();
        ProjectionChanges {
            tree_size: self.folded.size,
            objects,
        }
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
        let envelope =
            VerifiedEnvelope::from_own_log_without_signature_checks(entry.envelope.clone(), origin)
                .map_err(|e| StoreError::Corrupt(format!("entry {}: {e}", row.index)))?;
        if let Err(refusal) = fold.apply(&entry, &envelope) {
            tracing::error!(index = row.index, %refusal, "an entry in the log breaks the governance rules; run `prasasti verify`");
            fold.skip();
        }
    }
    Ok(())
}

/// Locks a mutex, taking the data even from one a panicking thread left
/// poisoned: every value held here is replaced whole, never half-written.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The current state and the snapshots kept of older ones, shared by the
/// governance and the folds that install into it.
pub(super) struct Shared {
    pub(super) current: Mutex<Arc<Folded>>,
    /// States at multiples of [`SNAPSHOT_EVERY`] entries (and the first
    /// state installed past each), sharing structure with each other.
    pub(super) snapshots: Mutex<BTreeMap<u64, Arc<Folded>>>,
}

impl Shared {
    pub(super) fn snapshot(&self) -> Arc<Folded> {
        lock(&self.current).clone()
    }

    pub(super) fn install(&self, folded: Folded) {
        let folded = Arc::new(folded);
        {
            let mut current = lock(&self.current);
            if folded.size < current.size {
                return;
            }
            *current = folded.clone();
        }
        self.remember(folded);
    }

    /// Keeps `folded` as a snapshot if it is the first one at or past its
    /// multiple of [`SNAPSHOT_EVERY`].
    pub(super) fn remember(&self, folded: Arc<Folded>) {
        let mut snapshots = lock(&self.snapshots);
        let mark = folded.size / SNAPSHOT_EVERY * SNAPSHOT_EVERY;
        let have = snapshots
            .range(mark..)
            .next()
            .is_some_and(|(size, _)| *size < mark + SNAPSHOT_EVERY);
        if !have {
            snapshots.insert(folded.size, folded);
        }
    }

    /// The latest snapshot at or before `size`.
    pub(super) fn before(&self, size: u64) -> Option<Arc<Folded>> {
        lock(&self.snapshots)
            .range(..=size)
            .next_back()
            .map(|(_, f)| f.clone())
    }
}
