//! C2SP tlog-checkpoint: the signed tree head of the log.

use super::hash::Hash;
use super::note::{self, NoteError, NoteSigner, NoteVerifier};

/// A tree head: the log's origin, its size and its root hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's unique name; it is also the name of the log's key.
    pub origin: String,
    /// Number of entries in the tree.
    pub size: u64,
    /// RFC 9162 root hash of the tree.
    pub root: Hash,
}

/// Why a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The body does not have the checkpoint shape.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// The checkpoint is for another log.
    #[error("checkpoint is for origin {found:?}, expected {expected:?}")]
    WrongOrigin {
        /// The origin the verifier expects.
        expected: String,
        /// The origin in the checkpoint.
        found: String,
    },
    /// The note around it is not validly signed.
    #[error(transparent)]
    Note(#[from] NoteError),
}

impl Checkpoint {
    /// The note text: `<origin>\n<size>\n<base64 root>\n`.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        )
    }

    /// Reads a checkpoint body. Extension lines after the root are accepted
    /// and ignored, as the specification asks of clients.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::Malformed(
            "the body must end with a newline",
        ))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        let size = lines
            .next()
            .ok_or(CheckpointError::Malformed("no size line"))?;
        let root = lines
            .next()
            .ok_or(CheckpointError::Malformed("no root line"))?;
        if origin.is_empty() {
            return Err(CheckpointError::Malformed("empty origin"));
        }
        if lines.any(str::is_empty) {
            return Err(CheckpointError::Malformed("empty extension line"));
        }
        let canonical_decimal = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        if !canonical_decimal {
            return Err(CheckpointError::Malformed(
                "the size is a decimal with no leading zeros",
            ));
        }
        let size = size
            .parse()
            .map_err(|_| CheckpointError::Malformed("the size does not fit in 64 bits"))?;
        let root = Hash::from_base64(root)
            .map_err(|_| CheckpointError::Malformed("the root is not a base64 SHA-256 hash"))?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
        })
    }

    /// Signs the checkpoint as a note with the log's key.
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, NoteError> {
        note::sign(&self.body(), &[signer])
    }

    /// Reads a signed checkpoint: the note must carry a valid signature by
    /// `verifier`, and the origin must be the verifier key's name.
    pub fn open(signed: &str, verifier: &NoteVerifier) -> Result<Checkpoint, CheckpointError> {
        let opened = note::open(signed, std::slice::from_ref(verifier))?;
        let checkpoint = Checkpoint::parse(&opened.text)?;
        if checkpoint.origin != verifier.name() {
            return Err(CheckpointError::WrongOrigin {
                expected: verifier.name().to_owned(),
                found: checkpoint.origin,
            });
        }
        Ok(checkpoint)
    }
}
