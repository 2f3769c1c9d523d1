//! A witness's judgement of an `add-checkpoint` request
//! (c2sp.org/tlog-witness), without I/O: read the request, and decide from
//! what the witness last cosigned for that log whether to cosign the new
//! checkpoint. Storing the decision atomically and answering over HTTP
//! belong to the caller.
//!
//! The request body is `old <size>\n`, up to 63 base64 consistency-proof
//! lines, an empty line, and the signed checkpoint note.

use super::checkpoint::Checkpoint;
use super::hash::Hash;
use super::note::{self, NoteError, NoteVerifier};
use super::proof;

/// Most consistency-proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;

/// A parsed `add-checkpoint` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size the log believes the witness last cosigned.
    pub old: u64,
    /// The consistency proof from `old` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub checkpoint: String,
}

/// Why a witness does not cosign, each with the status tlog-witness gives it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The body is not an `add-checkpoint` request (400).
    #[error("malformed request: {0}")]
    Malformed(String),
    /// No log of this origin is witnessed here (404).
    #[error("unknown log {0:?}")]
    UnknownLog(String),
    /// The checkpoint carries no valid signature by the log's key (403).
    #[error("the checkpoint is not signed by the log's key")]
    NotSigned,
    /// `old` is larger than the checkpoint's size (400).
    #[error("old size {old} is larger than the checkpoint's size {size}")]
    OldBeyondSize {
        /// The request's old size.
        old: u64,
        /// The checkpoint's size.
        size: u64,
    },
    /// `old` is not the size the witness holds (409, body: that size).
    #[error("the witness holds size {0}")]
    Conflict(u64),
    /// The consistency proof does not verify (422).
    #[error("the consistency proof does not verify: {0}")]
    BadProof(String),
    /// The same size with another root: a fork (422, as in the 2026
    /// revision of tlog-witness; the 2024 text said 409).
    #[error("size {0} was cosigned with another root: the log forked")]
    Fork(u64),
}

impl Refusal {
    /// The HTTP status tlog-witness gives this refusal.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Malformed(_) | Refusal::OldBeyondSize { .. } => 400,
            Refusal::UnknownLog(_) => 404,
            Refusal::NotSigned => 403,
            Refusal::Conflict(_) => 409,
            Refusal::BadProof(_) | Refusal::Fork(_) => 422,
        }
    }
}

impl AddCheckpoint {
    /// Reads a request body.
    pub fn parse(body: &str) -> Result<AddCheckpoint, Refusal> {
        let bad = |what: &str| Refusal::Malformed(what.to_owned());
        let (head, checkpoint) = body
            .split_once("\n\n")
            .ok_or_else(|| bad("no empty line before the checkpoint"))?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .filter(|n| n == &"0" || (!n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit())))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| bad("the first line is: old <size>"))?;
        let proof = lines
            .map(|l| Hash::from_base64(l).map_err(|_| bad("a proof line is not a base64 hash")))
            .collect::<Result<Vec<_>, _>>()?;
        if proof.len() > MAX_PROOF_LINES {
            return Err(bad("more than 63 proof lines"));
        }
        Ok(AddCheckpoint {
            old,
            proof,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// The body of this request.
    pub fn to_body(&self) -> String {
        let mut body = format!("old {}\n", self.old);
        for hash in &self.proof {
            body.push_str(&hash.to_base64());
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.checkpoint);
        body
    }

    /// Judges the request against the logs witnessed here and, for its
    /// log, the size and root last cosigned (`None`: never). On success,
    /// the checkpoint to store and cosign (its note text is what a
    /// cosignature signs).
    pub fn judge(
        &self,
        logs: &[NoteVerifier],
        stored: impl FnOnce(&str) -> Option<(u64, Hash)>,
    ) -> Result<(Checkpoint, String), Refusal> {
        let origin = self.checkpoint.split('\n').next().unwrap_or_default();
        let keys: Vec<NoteVerifier> = logs
            .iter()
            .filter(|k| k.name() == origin)
            .cloned()
            .collect();
        if keys.is_empty() {
            return Err(Refusal::UnknownLog(origin.to_owned()));
        }
        let opened = match note::open(&self.checkpoint, &keys) {
            Ok(opened) => opened,
            Err(NoteError::Malformed(what)) => return Err(Refusal::Malformed(what.to_owned())),
            Err(_) => return Err(Refusal::NotSigned),
        };
        let checkpoint =
            Checkpoint::parse(&opened.text).map_err(|e| Refusal::Malformed(e.to_string()))?;
        if self.old > checkpoint.size {
            return Err(Refusal::OldBeyondSize {
                old: self.old,
                size: checkpoint.size,
            });
        }
        let (held, held_root) = stored(origin).unwrap_or((0, Hash::ZERO));
        if self.old != held {
            return Err(Refusal::Conflict(held));
        }
        if checkpoint.size == held && held > 0 {
            if checkpoint.root != held_root {
                return Err(Refusal::Fork(held));
            }
        } else if held == 0 {
            if !self.proof.is_empty() {
                return Err(Refusal::BadProof("a proof from size 0 is empty".into()));
            }
        } else {
            proof::verify_consistency(
                held,
                checkpoint.size,
                &self.proof,
                &held_root,
                &checkpoint.root,
            )
            .map_err(|e| Refusal::BadProof(e.to_string()))?;
        }
        Ok((checkpoint, opened.text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::hash::{CompactRange, leaf_hash};
    use crate::tlog::note::NoteSigner;

    fn log() -> NoteSigner {
        NoteSigner::from_seed("karanganyar.example/prasasti", [9; 32]).unwrap()
    }

    /// Roots of a log of `n` leaves (leaf i is the bytes of i).
    fn root(n: u64) -> Hash {
        let mut range = CompactRange::default();
        for i in 0..n {
            range.push(leaf_hash(&i.to_be_bytes()));
        }
        range.root()
    }

    fn signed(size: u64, root: Hash, signer: &NoteSigner) -> String {
        Checkpoint {
            origin: signer.name().to_owned(),
            size,
            root,
        }
        .sign(signer)
        .unwrap()
    }

    /// The consistency proof between two sizes of the test log.
    fn proof(old: u64, new: u64) -> Vec<Hash> {
        let ranges = proof::consistency_ranges(old, new).unwrap();
        let leaves: std::collections::HashMap<_, _> = (0..new)
            .map(|i| {
                (
                    crate::tlog::hash::NodeId { level: 0, index: i },
                    leaf_hash(&i.to_be_bytes()),
                )
            })
            .collect();
        let mut nodes = leaves.clone();
        for level in 1..64u8 {
            let width = new >> level;
            if width == 0 {
                break;
            }
            for index in 0..width {
                let left = nodes[&crate::tlog::hash::NodeId {
                    level: level - 1,
                    index: 2 * index,
                }];
                let right = nodes[&crate::tlog::hash::NodeId {
                    level: level - 1,
                    index: 2 * index + 1,
                }];
                nodes.insert(
                    crate::tlog::hash::NodeId { level, index },
                    crate::tlog::hash::node_hash(&left, &right),
                );
            }
        }
        ranges
            .into_iter()
            .map(|r| proof::range_hash(r, &nodes).unwrap())
            .collect()
    }

    fn request(old: u64, size: u64) -> AddCheckpoint {
        AddCheckpoint {
            old,
            proof: if old == 0 {
                Vec::new()
            } else {
                proof(old, size)
            },
            checkpoint: signed(size, root(size), &log()),
        }
    }

    #[test]
    fn requests_read_back_what_they_write() {
        let r = request(3, 7);
        assert_eq!(AddCheckpoint::parse(&r.to_body()).unwrap(), r);
        for bad in [
            "",
            "old 1\n",
            "old 01\n\nx",
            "old -1\n\nx",
            "new 1\n\nx",
            "old 1\nnot-base64!\n\nx",
        ] {
            assert!(
                matches!(AddCheckpoint::parse(bad), Err(Refusal::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn every_refusal_has_the_status_tlog_witness_gives_it() {
        let logs = [log().verifier()];
        let at = |size: u64| move |_: &str| Some((size, root(size)));
        // First contact, then growth with a proof.
        let (checkpoint, text) = request(0, 5).judge(&logs, |_| None).unwrap();
        assert_eq!((checkpoint.size, text), (5, checkpoint.body()));
        assert_eq!(request(5, 9).judge(&logs, at(5)).unwrap().0.size, 9);
        // The same checkpoint again is cosigned again.
        assert!(request(5, 5).judge(&logs, at(5)).is_ok());
        let status = |r: Result<(Checkpoint, String), Refusal>| r.unwrap_err().status();
        // Unknown log: 404. Not signed by its key: 403.
        let stranger = NoteSigner::from_seed("other.example/log", [1; 32]).unwrap();
        let mut unknown = request(0, 5);
        unknown.checkpoint = signed(5, root(5), &stranger);
        assert_eq!(status(unknown.judge(&logs, |_| None)), 404);
        let impostor = NoteSigner::from_seed("karanganyar.example/prasasti", [2; 32]).unwrap();
        let mut forged = request(0, 5);
        forged.checkpoint = signed(5, root(5), &impostor);
        assert_eq!(status(forged.judge(&logs, |_| None)), 403);
        // Old beyond the size: 400. Old not what the witness holds: 409.
        let mut beyond = request(0, 5);
        beyond.old = 6;
        assert_eq!(status(beyond.judge(&logs, at(6))), 400);
        assert_eq!(
            request(3, 9).judge(&logs, at(5)).unwrap_err(),
            Refusal::Conflict(5)
        );
        // A bad proof: 422. A fork at the same size: 422, never cosigned.
        let mut bad = request(5, 9);
        bad.proof[0] = Hash::ZERO;
        assert_eq!(status(bad.judge(&logs, at(5))), 422);
        let mut fork = request(5, 5);
        fork.checkpoint = signed(5, root(4), &log());
        assert_eq!(fork.judge(&logs, at(5)).unwrap_err(), Refusal::Fork(5));
        // A smaller size after a larger one: the log must ask from the held size.
        assert_eq!(
            request(0, 3).judge(&logs, at(5)).unwrap_err(),
            Refusal::Conflict(5)
        );
    }
}
