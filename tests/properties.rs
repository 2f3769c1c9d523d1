//! Properties of the proof code: proofs built from stored subtrees verify
//! for random tree sizes, and any flipped bit makes them fail.

use std::collections::HashMap;

use prasasti::tlog::hash::{CompactRange, Hash, NodeId, leaf_hash};
use prasasti::tlog::proof::{
    assemble, consistency_ranges, inclusion_ranges, range_hash, verify_consistency,
    verify_inclusion,
};
use proptest::prelude::*;

/// A tree of `n` leaves as storage holds it: every complete subtree.
fn stored_tree(n: u64) -> (Vec<Hash>, HashMap<NodeId, Hash>, Vec<Hash>) {
    let mut range = CompactRange::default();
    let mut nodes = HashMap::new();
    let mut leaves = Vec::new();
    let mut roots = vec![range.root()];
    for i in 0..n {
        let leaf = leaf_hash(format!("entry {i}").as_bytes());
        leaves.push(leaf);
        nodes.extend(range.push(leaf));
        roots.push(range.root());
    }
    (leaves, nodes, roots)
}

fn flip(hashes: &mut [Hash], position: usize, bit: u8) {
    let h = &mut hashes[position];
    h.0[(bit / 8) as usize] ^= 1 << (bit % 8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn inclusion_proofs_verify_and_any_flipped_bit_fails(n in 1u64..2000, seed in any::<u64>(), which in any::<usize>(), bit in 0u8..=255) {
        let (leaves, nodes, roots) = stored_tree(n);
        let index = seed % n;
        let proof = assemble(&inclusion_ranges(index, n).unwrap(), &nodes).unwrap();
        let root = roots[n as usize];
        prop_assert_eq!(range_hash(0..n, &nodes).unwrap(), root);
        prop_assert!(verify_inclusion(index, n, &leaves[index as usize], &proof, &root).is_ok());
        // Flipping a bit in the proof, the leaf or the root fails.
        let mut all = proof.clone();
        all.push(leaves[index as usize]);
        all.push(root);
        let position = which % all.len();
        flip(&mut all, position, bit);
        let (bad_root, rest) = all.split_last().unwrap();
        let (bad_leaf, bad_proof) = rest.split_last().unwrap();
        prop_assert!(verify_inclusion(index, n, bad_leaf, bad_proof, bad_root).is_err());
        // So do a wrong index and a truncated or extended proof.
        if n > 1 {
            prop_assert!(verify_inclusion((index + 1) % n, n, &leaves[index as usize], &proof, &root).is_err());
        }
        if !proof.is_empty() {
            prop_assert!(verify_inclusion(index, n, &leaves[index as usize], &proof[1..], &root).is_err());
        }
        let mut longer = proof.clone();
        longer.push(root);
        prop_assert!(verify_inclusion(index, n, &leaves[index as usize], &longer, &root).is_err());
    }

    #[test]
    fn consistency_proofs_verify_and_any_flipped_bit_fails(n in 1u64..2000, seed in any::<u64>(), which in any::<usize>(), bit in 0u8..=255) {
        let (_, nodes, roots) = stored_tree(n);
        let old = 1 + seed % n;
        let proof = assemble(&consistency_ranges(old, n).unwrap(), &nodes).unwrap();
        let (old_root, new_root) = (roots[old as usize], roots[n as usize]);
        prop_assert!(verify_consistency(old, n, &proof, &old_root, &new_root).is_ok());
        let mut all = proof.clone();
        all.push(old_root);
        all.push(new_root);
        let position = which % all.len();
        flip(&mut all, position, bit);
        let (bad_new, rest) = all.split_last().unwrap();
        let (bad_old, bad_proof) = rest.split_last().unwrap();
        prop_assert!(verify_consistency(old, n, bad_proof, bad_old, bad_new).is_err());
    }
}
