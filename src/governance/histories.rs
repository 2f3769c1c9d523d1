//! Lists that grow with one object's history, kept beside the state.
//!
//! The entries that concerned each programme, and the audit notes about
//! each programme and each commitment, can grow without bound (an
//! Inspektorat files thousands of notes in an audit season). They are
//! derived from the same entries as the [`State`](super::State), by the same
//! rules, but they are not part of its JSON nor of its hash, and they are
//! persistent vectors: recording one more costs the same whatever the
//! history, and a reader takes one page of them, newest first, without
//! copying the rest.

use imbl::{OrdMap, Vector};

/// Per-object lists of entry indexes, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histories {
    programme_entries: OrdMap<String, Vector<u64>>,
    programme_notes: OrdMap<String, Vector<u64>>,
    commitment_notes: OrdMap<String, Vector<u64>>,
}

/// One page of a list, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// How many the whole list holds.
    pub total: usize,
    /// The entry indexes on the page, newest first.
    pub indexes: Vec<u64>,
}

fn record(lists: &mut OrdMap<String, Vector<u64>>, id: &str, index: u64) {
    let list = lists.entry(id.to_owned()).or_default();
    if list.last() != Some(&index) {
        list.push_back(index);
    }
}

fn window(lists: &OrdMap<String, Vector<u64>>, id: &str, skip: usize, take: usize) -> Window {
    let Some(list) = lists.get(id) else {
        return Window {
            total: 0,
            indexes: Vec::new(),
        };
    };
    let total = list.len();
    let newest = total.saturating_sub(skip);
    let oldest = newest.saturating_sub(take);
    Window {
        total,
        indexes: (oldest..newest)
            .rev()
            .filter_map(|i| list.get(i).copied())
            .collect(),
    }
}

impl Histories {
    /// Records that entry `index` concerned programme `id` (once per entry).
    pub fn programme_entry(&mut self, id: &str, index: u64) {
        record(&mut self.programme_entries, id, index);
    }

    /// Records the audit note of entry `index`, about programme `programme`
    /// and, when its subject is a commitment or one of its milestones,
    /// commitment `commitment`.
    pub fn audit_note(&mut self, programme: &str, commitment: Option<&str>, index: u64) {
        record(&mut self.programme_notes, programme, index);
        if let Some(c) = commitment {
            record(&mut self.commitment_notes, c, index);
        }
    }

    /// Entries that concerned programme `id`: `take` of them after skipping
    /// the `skip` newest.
    pub fn programme_entries(&self, id: &str, skip: usize, take: usize) -> Window {
        window(&self.programme_entries, id, skip, take)
    }

    /// Entries that concerned programme `id` before entry `before`, the
    /// newest `take` of them, newest first.
    pub fn programme_entries_before(&self, id: &str, before: u64, take: usize) -> Window {
        let Some(list) = self.programme_entries.get(id) else {
            return window(&self.programme_entries, id, 0, 0);
        };
        // The number of indexes below `before`, by binary search.
        let (mut lo, mut hi) = (0, list.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if list[mid] < before {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        window(&self.programme_entries, id, list.len() - lo, take)
    }

    /// The newest entry that concerned programme `id`.
    pub fn last_programme_entry(&self, id: &str) -> Option<u64> {
        self.programme_entries.get(id)?.last().copied()
    }

    /// Audit notes (by their entry index) about programme `id` or anything
    /// in it.
    pub fn programme_notes(&self, id: &str, skip: usize, take: usize) -> Window {
        window(&self.programme_notes, id, skip, take)
    }

    /// Audit notes about commitment `id` or one of its milestones.
    pub fn commitment_notes(&self, id: &str, skip: usize, take: usize) -> Window {
        window(&self.commitment_notes, id, skip, take)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_newest_first_and_an_entry_is_recorded_once() {
        let mut h = Histories::default();
        for i in [3, 5, 5, 8, 13, 21] {
            h.programme_entry("p", i);
        }
        assert_eq!(h.programme_entries("p", 0, 2).indexes, [21, 13]);
        assert_eq!(h.programme_entries("p", 2, 2).indexes, [8, 5]);
        assert_eq!(h.programme_entries("p", 4, 10).indexes, [3]);
        assert_eq!(h.programme_entries("p", 9, 10).indexes, Vec::<u64>::new());
        assert_eq!(h.programme_entries("p", 0, 1).total, 5);
        assert_eq!(h.programme_entries("q", 0, 1).total, 0);
        assert_eq!(h.programme_entries_before("p", 13, 2).indexes, [8, 5]);
        assert_eq!(h.programme_entries_before("p", 14, 1).indexes, [13]);
        assert_eq!(
            h.programme_entries_before("p", 3, 5).indexes,
            Vec::<u64>::new()
        );
        assert_eq!(h.last_programme_entry("p"), Some(21));
    }

    #[test]
    fn notes_are_listed_for_their_programme_and_commitment() {
        let mut h = Histories::default();
        h.audit_note("p", Some("c"), 7);
        h.audit_note("p", None, 9);
        assert_eq!(h.programme_notes("p", 0, 5).indexes, [9, 7]);
        assert_eq!(h.commitment_notes("c", 0, 5).indexes, [7]);
    }
}
