//! c2sp.org/tlog-proof@v1: an offline-verifiable proof that an entry is in
//! the log, carrying its inclusion proof and the signed checkpoint.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::checkpoint::{Checkpoint, CheckpointError};
use super::hash::{Hash, leaf_hash};
use super::note::NoteVerifier;
use super::proof::{ProofError, verify_inclusion};

/// First line of every proof bundle.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// A parsed tlog-proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofBundle {
    /// Optional opaque application data.
    pub extra: Option<Vec<u8>>,
    /// Index of the entry in the log.
    pub index: u64,
    /// The inclusion proof, the leaf's sibling first.
    pub hashes: Vec<Hash>,
    /// The signed checkpoint, verbatim.
    pub checkpoint: String,
}

/// Why a proof bundle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The text does not have the tlog-proof shape.
    #[error("malformed proof bundle: {0}")]
    Malformed(&'static str),
    /// The checkpoint inside is not valid.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The inclusion proof does not verify against the checkpoint.
    #[error(transparent)]
    Proof(#[from] ProofError),
}

impl ProofBundle {
    /// Writes the bundle in its text form.
    pub fn to_text(&self) -> String {
        let mut out = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            out.push_str(&format!("extra {}\n", STANDARD.encode(extra)));
        }
        out.push_str(&format!("index {}\n", self.index));
        for hash in &self.hashes {
            out.push_str(&hash.to_base64());
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }

    /// Reads the text form.
    pub fn parse(text: &str) -> Result<ProofBundle, BundleError> {
        let (head, checkpoint) = text.split_once("\n\n").ok_or(BundleError::Malformed(
            "no blank line before the checkpoint",
        ))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(BundleError::Malformed(
                "the first line must be c2sp.org/tlog-proof@v1",
            ));
        }
        let mut line = lines
            .next()
            .ok_or(BundleError::Malformed("no index line"))?;
        let mut extra = None;
        if let Some(b64) = line.strip_prefix("extra ") {
            extra = Some(
                STANDARD
                    .decode(b64)
                    .map_err(|_| BundleError::Malformed("extra data is not valid base64"))?,
            );
            line = lines
                .next()
                .ok_or(BundleError::Malformed("no index line"))?;
        }
        let index = line
            .strip_prefix("index ")
            .filter(|n| {
                !n.is_empty()
                    && n.bytes().all(|b| b.is_ascii_digit())
                    && (*n == "0" || !n.starts_with('0'))
            })
            .and_then(|n| n.parse().ok())
            .ok_or(BundleError::Malformed(
                "the index line is 'index <decimal>'",
            ))?;
        let hashes = lines
            .map(|l| {
                Hash::from_base64(l)
                    .map_err(|_| BundleError::Malformed("a proof line is one base64 hash"))
            })
            .collect::<Result<_, _>>()?;
        Ok(ProofBundle {
            extra,
            index,
            hashes,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// Checks that `entry` is at the bundle's index in the log whose key is
    /// `verifier`, and returns the checkpoint it was proven against.
    pub fn verify(&self, entry: &[u8], verifier: &NoteVerifier) -> Result<Checkpoint, BundleError> {
        let checkpoint = Checkpoint::open(&self.checkpoint, verifier)?;
        verify_inclusion(
            self.index,
            checkpoint.size,
            &leaf_hash(entry),
            &self.hashes,
            &checkpoint.root,
        )?;
        Ok(checkpoint)
    }
}
