//! RFC 9162 inclusion and consistency proofs: which subtrees a proof is made
//! of, how to assemble it from stored subtree hashes, and how to verify it.

use std::collections::HashMap;
use std::ops::Range;

use super::hash::{Hash, NodeId, empty_root, node_hash};

/// Why a proof could not be produced or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("index {index} is not inside a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The size of the tree.
        size: u64,
    },
    /// The old tree is larger than the new one.
    #[error("old size {old} is larger than new size {new}")]
    SizesOutOfOrder {
        /// The old tree size.
        old: u64,
        /// The new tree size.
        new: u64,
    },
    /// The proof has the wrong number of hashes for these sizes.
    #[error("the proof has {got} hashes, {want} expected")]
    WrongLength {
        /// Number of hashes received.
        got: usize,
        /// Number of hashes a proof for these sizes has.
        want: usize,
    },
    /// The hashes do not lead to the expected root.
    #[error("the proof does not lead to the expected root hash")]
    RootMismatch,
    /// A consistency proof leads to a different old root.
    #[error("the proof does not lead to the old root hash")]
    OldRootMismatch,
    /// A consistency proof from the empty tree proves nothing and is refused.
    #[error("a consistency proof needs an old tree of at least one leaf")]
    EmptyOldTree,
    /// A stored subtree hash needed to build the proof is missing.
    #[error("subtree hash {0:?} is missing")]
    MissingNode(NodeId),
}

fn largest_power_of_two_below(n: u64) -> u64 {
    debug_assert!(n > 1);
    1 << (63 - (n - 1).leading_zeros())
}

/// The leaf ranges whose tree hashes form the inclusion proof of `index` in
/// a tree of `size` leaves, in proof order (the leaf's sibling first).
pub fn inclusion_ranges(index: u64, size: u64) -> Result<Vec<Range<u64>>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    // PATH(m, D[a:b]) of RFC 9162 §2.1.3.1, unrolled from the root down and
    // reversed at the end so the deepest sibling comes first.
    let mut ranges = Vec::new();
    let (mut lo, mut hi) = (0, size);
    while hi - lo > 1 {
        let k = largest_power_of_two_below(hi - lo);
        if index < lo + k {
            ranges.push(lo + k..hi);
            hi = lo + k;
        } else {
            ranges.push(lo..lo + k);
            lo += k;
        }
    }
    ranges.reverse();
    Ok(ranges)
}

/// The leaf ranges whose tree hashes form the consistency proof between the
/// trees of `old` and `new` leaves (RFC 9162 §2.1.4.1). Empty when `old` is
/// zero or equal to `new`.
pub fn consistency_ranges(old: u64, new: u64) -> Result<Vec<Range<u64>>, ProofError> {
    if old > new {
        return Err(ProofError::SizesOutOfOrder { old, new });
    }
    if old == 0 || old == new {
        return Ok(Vec::new());
    }
    // SUBPROOF(m, D[lo:hi], complete) unrolled; `complete` records whether
    // the old tree is still a complete subtree of what we descend into.
    let mut ranges = Vec::new();
    let (mut lo, mut hi, mut m) = (0, new, old);
    let mut complete = true;
    loop {
        if m == hi - lo {
            if !complete {
                ranges.push(lo..hi);
            }
            break;
        }
        let k = largest_power_of_two_below(hi - lo);
        if m <= k {
            ranges.push(lo + k..hi);
            hi = lo + k;
        } else {
            ranges.push(lo..lo + k);
            lo += k;
            m -= k;
            complete = false;
        }
    }
    ranges.reverse();
    Ok(ranges)
}

/// The complete subtrees whose hashes make up the tree hash of `range`, left
/// to right. `range` must be a range that occurs in RFC 9162 proofs: it
/// starts at a multiple of the largest power of two not above its length,
/// which is true of every range [`inclusion_ranges`] and
/// [`consistency_ranges`] return and of `0..n`.
pub fn range_nodes(range: Range<u64>) -> Vec<NodeId> {
    let mut nodes = Vec::new();
    let (mut lo, hi) = (range.start, range.end);
    while lo < hi {
        let len = hi - lo;
        let k = if len.is_power_of_two() {
            len
        } else {
            largest_power_of_two_below(len)
        };
        let level = k.trailing_zeros() as u8;
        debug_assert_eq!(lo % k, 0, "range {range:?} is not aligned");
        nodes.push(NodeId::new(level, lo >> level));
        lo += k;
    }
    nodes
}

/// Every stored subtree needed to compute the given ranges' hashes.
pub fn nodes_for(ranges: &[Range<u64>]) -> Vec<NodeId> {
    let mut nodes: Vec<NodeId> = ranges.iter().flat_map(|r| range_nodes(r.clone())).collect();
    nodes.sort();
    nodes.dedup();
    nodes
}

/// The tree hash of `range` from the hashes of its complete subtrees.
pub fn range_hash(range: Range<u64>, nodes: &HashMap<NodeId, Hash>) -> Result<Hash, ProofError> {
    if range.is_empty() {
        return Ok(empty_root());
    }
    let parts = range_nodes(range);
    let mut hashes = parts
        .iter()
        .rev()
        .map(|id| nodes.get(id).copied().ok_or(ProofError::MissingNode(*id)));
    let last = hashes
        .next()
        .expect("a non-empty range has at least one subtree")?;
    hashes.try_fold(last, |acc, left| Ok(node_hash(&left?, &acc)))
}

/// Assembles a proof from its ranges and the stored subtree hashes.
pub fn assemble(
    ranges: &[Range<u64>],
    nodes: &HashMap<NodeId, Hash>,
) -> Result<Vec<Hash>, ProofError> {
    ranges
        .iter()
        .map(|r| range_hash(r.clone(), nodes))
        .collect()
}

/// Computes the root implied by an inclusion proof (RFC 9162 §2.1.3.2).
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let want = inclusion_ranges(index, size)?.len();
    if proof.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    let mut r = *leaf;
    walk_path(index, size - 1, proof, want, |p, on_left| {
        r = if on_left {
            node_hash(p, &r)
        } else {
            node_hash(&r, p)
        };
    })?;
    Ok(r)
}

/// The walk up the tree that RFC 9162 §2.1.3.2 and §2.1.4.2 share: from
/// the node numbers `fn_` and `sn`, each hash of `path` in turn with
/// whether it joins on the left. A path of another length than the walk
/// takes is [`ProofError::WrongLength`] (`want` is the expected length).
fn walk_path(
    mut fn_: u64,
    mut sn: u64,
    path: &[Hash],
    want: usize,
    mut step: impl FnMut(&Hash, bool),
) -> Result<(), ProofError> {
    let wrong_length = || ProofError::WrongLength {
        got: path.len(),
        want,
    };
    for p in path {
        if sn == 0 {
            return Err(wrong_length());
        }
        if fn_ & 1 == 1 || fn_ == sn {
            step(p, true);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            step(p, false);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(wrong_length());
    }
    Ok(())
}

/// Verifies that `leaf` is at `index` in the tree of `size` leaves with `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if root_from_inclusion(index, size, leaf, proof)? == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Verifies that the tree of `old` leaves with `old_root` is a prefix of the
/// tree of `new` leaves with `new_root` (RFC 9162 §2.1.4.2).
///
/// An old size of zero is refused: every tree extends the empty tree, so
/// such a "proof" carries no information and asking for one is a mistake.
pub fn verify_consistency(
    old: u64,
    new: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::SizesOutOfOrder { old, new });
    }
    if old == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if old == new {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: 0,
            });
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    let want = consistency_ranges(old, new)?.len();
    if proof.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    // When the old tree is a complete subtree, its root is the implicit
    // first element of the proof.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);

    let (mut fn_, mut sn) = (old - 1, new - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let mut fr = path[0];
    let mut sr = path[0];
    walk_path(fn_, sn, &path[1..], want, |c, on_left| {
        if on_left {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
        } else {
            sr = node_hash(&sr, c);
        }
    })
    .map_err(|_| ProofError::WrongLength {
        got: proof.len(),
        want,
    })?;
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::hash::{CompactRange, NodeId, leaf_hash, root_of};

    /// What the appender relies on to prove a batch without reading stored
    /// hashes: every node an inclusion proof of a new leaf needs is a
    /// subtree of the old tree's right edge or one the new leaves complete.
    #[test]
    fn a_batch_is_proved_from_the_old_edge_and_its_own_subtrees() {
        let leaves: Vec<Hash> = (0..80u64).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for old in 0..48u64 {
            let mut range = CompactRange::default();
            for leaf in &leaves[..old as usize] {
                range.push(*leaf);
            }
            let mut known: HashMap<NodeId, Hash> = range.nodes().iter().copied().collect();
            for new in old + 1..old + 33 {
                known.extend(range.push(leaves[new as usize - 1]));
                for index in old..new {
                    let ranges = inclusion_ranges(index, new).expect("ranges");
                    for id in nodes_for(&ranges) {
                        assert!(
                            known.contains_key(&id),
                            "old size {old}, new size {new}, leaf {index}: {id:?} is not at hand"
                        );
                    }
                    let proof = assemble(&ranges, &known).expect("assembled");
                    let root = root_of(&leaves[..new as usize]);
                    verify_inclusion(index, new, &leaves[index as usize], &proof, &root)
                        .expect("the proof verifies");
                }
            }
        }
    }

    /// Every stored subtree of a tree, as storage would write them.
    fn stored(leaves: &[Hash]) -> HashMap<NodeId, Hash> {
        let mut nodes = HashMap::new();
        for (i, leaf) in leaves.iter().enumerate() {
            let i = i as u64;
            for id in NodeId::completed_by(i) {
                let hash = if id.level == 0 {
                    *leaf
                } else {
                    let l = nodes[&NodeId::new(id.level - 1, id.index * 2)];
                    let r = nodes[&NodeId::new(id.level - 1, id.index * 2 + 1)];
                    node_hash(&l, &r)
                };
                nodes.insert(id, hash);
            }
        }
        nodes
    }

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn every_proof_of_small_trees_verifies() {
        for n in 1..=70u64 {
            let ls = leaves(n);
            let nodes = stored(&ls);
            let root = root_of(&ls);
            assert_eq!(range_hash(0..n, &nodes).unwrap(), root, "root of {n}");
            for i in 0..n {
                let proof = assemble(&inclusion_ranges(i, n).unwrap(), &nodes).unwrap();
                verify_inclusion(i, n, &ls[i as usize], &proof, &root).unwrap();
            }
            for m in 1..=n {
                let old_root = root_of(&ls[..m as usize]);
                let proof = assemble(&consistency_ranges(m, n).unwrap(), &nodes).unwrap();
                verify_consistency(m, n, &proof, &old_root, &root).unwrap();
            }
        }
    }

    #[test]
    fn completed_by_lists_leaf_and_finished_ancestors() {
        assert_eq!(
            NodeId::completed_by(0).collect::<Vec<_>>(),
            vec![NodeId::new(0, 0)]
        );
        assert_eq!(
            NodeId::completed_by(3).collect::<Vec<_>>(),
            vec![NodeId::new(0, 3), NodeId::new(1, 1), NodeId::new(2, 0)]
        );
    }
}
