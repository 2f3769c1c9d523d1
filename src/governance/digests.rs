//! The state hash, and the object digests kept beside the state for it.
//!
//! The state hash commits to every object of the state through the SHA-256
//! of its canonical JSON (docs/GOVERNANCE.md §8): one line per object,
//! `<kind> <id> <hex digest>`, in the projection's order. Computing it
//! from scratch serialises the whole state; so the state keeps the digest
//! of each object it has seen serialised (the appender serialises every
//! changed object for the projection anyway) and marks the objects an entry
//! changes as stale. A state hash then serialises only the stale objects
//! and hashes one short line for each of the others, so its cost no longer
//! grows with the size of the objects, only (in 32-byte digests) with
//! their number.

use imbl::{OrdMap, OrdSet};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::state::{KINDS, State};
use crate::ledger::statement::canonical_json;
use crate::tlog::hash::{Hash, sha256};

/// Digests of objects' canonical JSON, by kind (in [`KINDS`] order) and id.
#[derive(Clone, Debug, Default)]
pub struct Digests {
    known: [OrdMap<String, Hash>; KINDS.len()],
    /// Objects changed since their digest was recorded (or never recorded).
    stale: [OrdSet<String>; KINDS.len()],
}

/// A cache: two states are the same whatever their caches hold.
impl PartialEq for Digests {
    fn eq(&self, _: &Digests) -> bool {
        true
    }
}

fn kind_index(kind: &str) -> Option<usize> {
    KINDS.iter().position(|k| *k == kind)
}

impl Digests {
    /// Marks an object as changed: its recorded digest no longer counts.
    pub fn changed(&mut self, kind: &str, id: &str) {
        if let Some(k) = kind_index(kind) {
            self.stale[k].insert(id.to_owned());
        }
    }

    /// Records the digest of an object's current canonical JSON.
    pub fn record(&mut self, kind: &str, id: &str, canonical_json: &[u8]) {
        if let Some(k) = kind_index(kind) {
            self.stale[k].remove(id);
            self.known[k].insert(id.to_owned(), sha256(canonical_json));
        }
    }

    /// Forgets an object that is no longer in the state.
    pub fn forget(&mut self, kind: &str, id: &str) {
        if let Some(k) = kind_index(kind) {
            self.stale[k].remove(id);
            self.known[k].remove(id);
        }
    }

    /// The ids of one kind's objects whose digest does not count.
    pub fn stale_ids(&self, kind: &str) -> Vec<String> {
        kind_index(kind).map_or_else(Vec::new, |k| self.stale[k].iter().cloned().collect())
    }

    /// How many objects have no digest that counts.
    pub fn stale(&self) -> usize {
        self.stale.iter().map(OrdSet::len).sum()
    }
}

/// The state-hash lines, fed to SHA-256 a block at a time.
struct Lines {
    hash: Sha256,
    block: Vec<u8>,
}

const LINES_BLOCK: usize = 1 << 16;

impl Lines {
    fn line(&mut self, kind: &str, id: &str, digest: &Hash) {
        let mut hex = [0u8; 64];
        // 64 bytes are exactly what 32 bytes take in hex.
        let _ = hex::encode_to_slice(digest.as_bytes(), &mut hex);
        self.block.extend_from_slice(kind.as_bytes());
        self.block.push(b' ');
        self.block.extend_from_slice(id.as_bytes());
        self.block.push(b' ');
        self.block.extend_from_slice(&hex);
        self.block.push(b'\n');
        if self.block.len() >= LINES_BLOCK {
            self.hash.update(&self.block);
            self.block.clear();
        }
    }

    fn finish(mut self) -> Hash {
        self.hash.update(&self.block);
        Hash(self.hash.finalize().into())
    }
}

/// Writes the state-hash lines of one collection, `objects` and the
/// recorded digests walked side by side (both are in id order).
fn walk<T: Serialize>(
    k: usize,
    objects: &OrdMap<String, T>,
    digests: &Digests,
    from_scratch: bool,
    out: &mut Lines,
) {
    let stale = &digests.stale[k];
    // Every object is either recorded or stale (an entry that makes one
    // marks it), so with nothing stale and as many digests as objects the
    // digests alone are the lines: no need to walk the objects themselves.
    if !from_scratch && stale.is_empty() && digests.known[k].len() == objects.len() {
        for (id, digest) in &digests.known[k] {
            out.line(KINDS[k], id, digest);
        }
        return;
    }
    let mut known = digests.known[k].iter().peekable();
    for (id, object) in objects {
        while known.next_if(|(known_id, _)| *known_id < id).is_some() {}
        let recorded = match known.peek() {
            Some((known_id, digest)) if *known_id == id => Some(**digest),
            _ => None,
        };
        let digest = match recorded {
            Some(digest) if !from_scratch && (stale.is_empty() || !stale.contains(id)) => digest,
            _ => sha256(&canonical_json(object)),
        };
        out.line(KINDS[k], id, &digest);
    }
}

/// The state hash; `from_scratch` ignores every recorded digest.
pub(super) fn state_hash(state: &State, from_scratch: bool) -> Hash {
    let d = &state.digests;
    let mut out = Lines {
        hash: Sha256::new(),
        block: Vec::with_capacity(LINES_BLOCK + 256),
    };
    if let Some(charter) = &state.charter {
        let id = String::new();
        let recorded = d.known[0].get(&id).filter(|_| !d.stale[0].contains(&id));
        let digest = match recorded {
            Some(digest) if !from_scratch => *digest,
            _ => sha256(&canonical_json(charter)),
        };
        out.line(KINDS[0], &id, &digest);
    }
    walk(1, &state.offices, d, from_scratch, &mut out);
    walk(2, &state.mandates, d, from_scratch, &mut out);
    walk(3, &state.keys, d, from_scratch, &mut out);
    walk(4, &state.documents, d, from_scratch, &mut out);
    walk(5, &state.programmes, d, from_scratch, &mut out);
    walk(6, &state.commitments, d, from_scratch, &mut out);
    walk(7, &state.milestones, d, from_scratch, &mut out);
    walk(8, &state.handovers, d, from_scratch, &mut out);
    walk(9, &state.audit_notes, d, from_scratch, &mut out);
    out.finish()
}
