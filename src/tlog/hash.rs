//! SHA-256 hashing as RFC 9162 §2.1.1 defines it for Merkle tree leaves and nodes.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// Domain-separation prefix of a leaf hash: `SHA-256(0x00 || entry)`.
pub const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an interior node hash: `SHA-256(0x01 || left || right)`.
pub const NODE_PREFIX: u8 = 0x01;
/// Length of every hash in the log, in bytes.
pub const HASH_SIZE: usize = 32;

/// A SHA-256 digest: a leaf hash, a node hash or a tree root.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; HASH_SIZE]);

/// Why a byte string or text could not be read as a [`Hash`](struct@Hash).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashParseError {
    /// The decoded value was not 32 bytes long.
    #[error("a hash is 32 bytes, this one is {0}")]
    Length(usize),
    /// The text was not valid standard base64.
    #[error("not valid base64")]
    Base64,
    /// The text was not 64 lowercase hexadecimal digits.
    #[error("not 64 lowercase hexadecimal digits")]
    Hex,
}

impl Hash {
    /// The all-zero value, used as `prev` of entry 0.
    pub const ZERO: Hash = Hash([0; HASH_SIZE]);

    /// Reads a hash from exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Hash, HashParseError> {
        let array: [u8; HASH_SIZE] = bytes
            .try_into()
            .map_err(|_| HashParseError::Length(bytes.len()))?;
        Ok(Hash(array))
    }

    /// Reads a hash written in standard, padded base64.
    pub fn from_base64(text: &str) -> Result<Hash, HashParseError> {
        let bytes = STANDARD
            .decode(text.as_bytes())
            .map_err(|_| HashParseError::Base64)?;
        Hash::from_slice(&bytes)
    }

    /// Reads a hash written as 64 lowercase hexadecimal digits.
    pub fn from_hex(text: &str) -> Result<Hash, HashParseError> {
        if text.len() != 2 * HASH_SIZE || text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(HashParseError::Hex);
        }
        let bytes = hex::decode(text).map_err(|_| HashParseError::Hex)?;
        Hash::from_slice(&bytes)
    }

    /// Standard, padded base64: the form hashes take in JSON and in checkpoints.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Lowercase hexadecimal: the form of `prev` in entries.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The bytes of the hash.
    pub fn as_bytes(&self) -> &[u8; HASH_SIZE] {
        &self.0
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

/// Plain SHA-256 of some bytes.
pub fn sha256(data: &[u8]) -> Hash {
    Hash(Sha256::digest(data).into())
}

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    sha256(b"")
}

/// The hash of a leaf: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(data);
    Hash(h.finalize().into())
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([NODE_PREFIX]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// A complete subtree of the log: the `2^level` leaves starting at
/// `index * 2^level`. Level 0 nodes are the leaves themselves.
///
/// Only complete subtrees are ever stored; the hash of an incomplete range is
/// derived from them (see [`crate::tlog::proof::range_nodes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    /// Height of the subtree above the leaves.
    pub level: u8,
    /// Position of the subtree among those of its level, from the left.
    pub index: u64,
}

impl NodeId {
    /// Creates the identifier of the subtree at `level`, `index`.
    pub const fn new(level: u8, index: u64) -> NodeId {
        NodeId { level, index }
    }

    /// The complete subtrees that become complete when leaf `leaf` is
    /// appended: the leaf itself and each ancestor whose right edge it is.
    /// Storage writes exactly these hashes for every new leaf.
    pub fn completed_by(leaf: u64) -> impl Iterator<Item = NodeId> {
        let ancestors = (leaf + 1).trailing_zeros() as u8;
        (0..=ancestors).map(move |level| NodeId::new(level, leaf >> level))
    }
}

/// Computes the root of the tree over the given leaf hashes in memory.
/// Meant for tests and for small trees; storage uses stored subtree hashes.
///
/// ```
/// use prasasti::tlog::hash::{leaf_hash, node_hash, root_of};
/// let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
/// assert_eq!(root_of(&[a, b]), node_hash(&a, &b));
/// assert_eq!(root_of(&[]).to_hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
/// ```
pub fn root_of(leaves: &[Hash]) -> Hash {
    let mut range = CompactRange::default();
    for leaf in leaves {
        range.push(*leaf);
    }
    range.root()
}

/// The maximal complete subtrees of the tree `0..size`, largest first: one
/// per set bit of `size`. Enough to append leaves and compute the root in
/// O(log n) memory, which is how both the append pipeline and the verifier
/// grow the tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    nodes: Vec<(NodeId, Hash)>,
}

/// The given hashes are not those of the complete subtrees of a tree of that size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the subtrees given do not describe a tree of {0} leaves")]
pub struct CompactRangeError(pub u64);

impl CompactRange {
    /// The subtrees a [`CompactRange`] of `size` leaves is made of, largest first.
    pub fn node_ids(size: u64) -> Vec<NodeId> {
        super::proof::range_nodes(0..size)
    }

    /// Rebuilds the range of a tree of `size` leaves from the hashes of
    /// [`CompactRange::node_ids`]`(size)`, in that order.
    pub fn from_hashes(size: u64, hashes: &[Hash]) -> Result<CompactRange, CompactRangeError> {
        let ids = CompactRange::node_ids(size);
        if ids.len() != hashes.len() {
            return Err(CompactRangeError(size));
        }
        Ok(CompactRange {
            size,
            nodes: ids.into_iter().zip(hashes.iter().copied()).collect(),
        })
    }

    /// Number of leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The subtrees the range is made of, largest first, with their hashes.
    pub fn nodes(&self) -> &[(NodeId, Hash)] {
        &self.nodes
    }

    /// Appends a leaf hash and returns every subtree this completes, the
    /// leaf itself first: exactly the hashes storage must add.
    pub fn push(&mut self, leaf: Hash) -> Vec<(NodeId, Hash)> {
        let mut completed = vec![(NodeId::new(0, self.size), leaf)];
        let mut current = (NodeId::new(0, self.size), leaf);
        while let Some(&(left_id, left)) = self.nodes.last() {
            if left_id.level != current.0.level {
                break;
            }
            self.nodes.pop();
            current = (
                NodeId::new(left_id.level + 1, left_id.index / 2),
                node_hash(&left, &current.1),
            );
            completed.push(current);
        }
        self.nodes.push(current);
        self.size += 1;
        completed
    }

    /// The Merkle tree hash of the whole tree.
    pub fn root(&self) -> Hash {
        let mut iter = self.nodes.iter().rev();
        match iter.next() {
            None => empty_root(),
            Some((_, last)) => iter.fold(*last, |acc, (_, left)| node_hash(left, &acc)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_range_emits_exactly_the_completed_subtrees() {
        let mut range = CompactRange::default();
        for i in 0..100u64 {
            let ids: Vec<NodeId> = range
                .push(leaf_hash(&i.to_be_bytes()))
                .iter()
                .map(|n| n.0)
                .collect();
            assert_eq!(ids, NodeId::completed_by(i).collect::<Vec<_>>());
            let hashes: Vec<Hash> = range.nodes.iter().map(|n| n.1).collect();
            assert_eq!(CompactRange::from_hashes(i + 1, &hashes).unwrap(), range);
        }
    }
}
