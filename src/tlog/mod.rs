//! Log mathematics and formats: RFC 9162 Merkle trees and proofs, C2SP signed
//! notes and checkpoints, witness cosignatures, tlog-tiles paths and
//! tlog-proof bundles.
//!
//! Nothing in this module performs I/O. Proof generation is split in two
//! steps so that storage can fetch exactly the hashes a proof needs: first
//! compute which [`NodeId`]s are needed, then assemble the proof from them.

pub mod bundle;
pub mod checkpoint;
pub mod cosignature;
pub mod hash;
pub mod note;
pub mod policy;
pub mod proof;
pub mod tile;
pub mod witness;

pub use checkpoint::Checkpoint;
pub use hash::{Hash, NodeId};
pub use proof::ProofError;
