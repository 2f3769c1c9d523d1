//! The log leaf: an envelope wrapped with its position, the previous leaf's
//! hash and the time the ledger recorded it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::jcs::{str_len, write_str};
use super::statement::Envelope;
use crate::tlog::hash::{Hash, leaf_hash};

/// Version of the entry format.
pub const ENTRY_VERSION: u64 = 1;
/// Largest index JSON numbers carry exactly (RFC 8785 numbers are doubles).
pub const MAX_INDEX: u64 = (1 << 53) - 1;

/// Largest entry in bytes: an entry bundle of tlog-tiles prefixes each
/// entry with its length as a 16-bit number.
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;

/// The length of the entry `envelope` would become at the largest index:
/// `prev` and `recorded_at` have fixed widths, so only the index varies.
/// Counted, not written: every envelope checked asks for it.
pub fn largest_entry_len(envelope: &Envelope) -> usize {
    static AROUND: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let around = *AROUND.get_or_init(|| {
        let empty = Envelope {
            payload_type: String::new(),
            payload: String::new(),
            signatures: Vec::new(),
        };
        let epoch = RecordedAt::new(DateTime::UNIX_EPOCH);
        entry_bytes(ENTRY_VERSION, MAX_INDEX, &Hash::ZERO, &epoch, &empty).len()
            - envelope_len(&empty)
    });
    around + envelope_len(envelope)
}

/// The length of [`envelope_bytes`], counted.
fn envelope_len(e: &Envelope) -> usize {
    r#"{"payload":,"payloadType":,"signatures":[]}"#.len()
        + str_len(&e.payload)
        + str_len(&e.payload_type)
        + e.signatures
            .iter()
            .map(|s| r#"{"keyid":,"sig":}"#.len() + str_len(&s.keyid) + str_len(&s.sig))
            .sum::<usize>()
        + e.signatures.len().saturating_sub(1)
}

/// An entry's canonical JSON from its parts (see [`Entry::to_bytes`]).
fn entry_bytes(v: u64, index: u64, prev: &Hash, recorded_at: &RecordedAt, e: &Envelope) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + e.payload.len() + 160 * e.signatures.len());
    out.extend_from_slice(b"{\"envelope\":");
    write_envelope(&mut out, e);
    out.extend_from_slice(format!(",\"index\":{index},\"prev\":").as_bytes());
    write_str(&mut out, &prev.to_hex());
    out.extend_from_slice(b",\"recorded_at\":");
    write_str(&mut out, &recorded_at.to_string());
    out.extend_from_slice(format!(",\"v\":{v}}}").as_bytes());
    out
}

/// An envelope's canonical JSON (RFC 8785: its members and its signatures'
/// are written in key order).
pub fn envelope_bytes(e: &Envelope) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + e.payload.len() + 160 * e.signatures.len());
    write_envelope(&mut out, e);
    out
}

fn write_envelope(out: &mut Vec<u8>, e: &Envelope) {
    out.extend_from_slice(b"{\"payload\":");
    write_str(out, &e.payload);
    out.extend_from_slice(b",\"payloadType\":");
    write_str(out, &e.payload_type);
    out.extend_from_slice(b",\"signatures\":[");
    for (i, sig) in e.signatures.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"keyid\":");
        write_str(out, &sig.keyid);
        out.extend_from_slice(b",\"sig\":");
        write_str(out, &sig.sig);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
}

/// When the ledger recorded an entry: a UTC instant with microseconds,
/// written `2026-11-28T00:25:26.123456Z` (fixed width, so text order is
/// time order). Only that spelling is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordedAt(DateTime<Utc>);

impl RecordedAt {
    /// The instant, truncated to microseconds as the ledger records it.
    pub fn new(time: DateTime<Utc>) -> RecordedAt {
        // Through the written form, so the value equals what is read back.
        RecordedAt(parse_time(&format_time(time)).unwrap_or(time))
    }

    /// Reads the ledger's spelling; any other is `None`.
    pub fn parse(text: &str) -> Option<RecordedAt> {
        parse_time(text).map(RecordedAt)
    }

    /// The instant.
    pub fn instant(self) -> DateTime<Utc> {
        self.0
    }
}

impl std::fmt::Display for RecordedAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_time(self.0))
    }
}

/// One entry of the log. Its canonical JSON is the Merkle leaf.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WireEntry", into = "WireEntry")]
pub struct Entry {
    /// Always [`ENTRY_VERSION`].
    pub v: u64,
    /// Position in the log, from 0.
    pub index: u64,
    /// Leaf hash of the previous entry; all zeros for entry 0 (written in hex).
    pub prev: Hash,
    /// When the ledger recorded the entry.
    pub recorded_at: RecordedAt,
    /// The signed statement.
    pub envelope: Envelope,
}

/// The entry as JSON has it: hashes and times as strings.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireEntry {
    v: u64,
    index: u64,
    prev: String,
    recorded_at: String,
    envelope: Envelope,
}

impl TryFrom<WireEntry> for Entry {
    type Error = EntryError;

    fn try_from(w: WireEntry) -> Result<Entry, EntryError> {
        let prev = Hash::from_hex(&w.prev)
            .ok()
            .filter(|h| h.to_hex() == w.prev)
            .ok_or(EntryError::Prev)?;
        let recorded_at =
            RecordedAt::parse(&w.recorded_at).ok_or(EntryError::RecordedAt(w.recorded_at))?;
        Ok(Entry {
            v: w.v,
            index: w.index,
            prev,
            recorded_at,
            envelope: w.envelope,
        })
    }
}

impl From<Entry> for WireEntry {
    fn from(e: Entry) -> WireEntry {
        WireEntry {
            v: e.v,
            index: e.index,
            prev: e.prev.to_hex(),
            recorded_at: e.recorded_at.to_string(),
            envelope: e.envelope,
        }
    }
}

/// Why bytes are not a well-formed entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// Not JSON of the entry shape.
    #[error("not an entry: {0}")]
    Malformed(String),
    /// JSON of the entry shape, but not in canonical form.
    #[error("the entry is not RFC 8785 canonical JSON")]
    NotCanonical,
    /// An unknown version.
    #[error("unknown entry version {0}")]
    Version(u64),
    /// `prev` is not 64 lowercase hex digits.
    #[error("prev is not 64 lowercase hex digits")]
    Prev,
    /// `recorded_at` is not an RFC 3339 UTC time in the ledger's format.
    #[error("recorded_at {0:?} is not RFC 3339 UTC with microseconds and Z")]
    RecordedAt(String),
}

/// Writes a time as the ledger records it: `2026-11-28T00:25:26.123456Z`.
/// Fixed width, so text order is time order.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Reads a time written by [`format_time`]; any other spelling is refused.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc);
    (format_time(t) == text).then_some(t)
}

impl Entry {
    /// The leaf bytes: the entry's canonical JSON.
    ///
    /// Written by hand because it is on the hot path of both appending and
    /// auditing: the entry's shape is fixed, its keys are listed here in
    /// RFC 8785 order, its numbers are integers below 2^53, and serde_json
    /// escapes strings exactly as RFC 8785 does. A test compares the result
    /// with a general canonicalizer.
    pub fn to_bytes(&self) -> Vec<u8> {
        entry_bytes(
            self.v,
            self.index,
            &self.prev,
            &self.recorded_at,
            &self.envelope,
        )
    }

    /// The Merkle leaf hash of the entry.
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.to_bytes())
    }

    /// Reads leaf bytes, insisting on the canonical form and a known version.
    /// The envelope inside is not checked here: see
    /// [`VerifiedEnvelope::check`](super::statement::VerifiedEnvelope::check).
    pub fn parse(bytes: &[u8]) -> Result<Entry, EntryError> {
        let wire: WireEntry =
            serde_json::from_slice(bytes).map_err(|e| EntryError::Malformed(e.to_string()))?;
        let entry = Entry::try_from(wire)?;
        if entry.to_bytes() != bytes {
            return Err(EntryError::NotCanonical);
        }
        if entry.v != ENTRY_VERSION {
            return Err(EntryError::Version(entry.v));
        }
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::statement::{EnvelopeSignature, canonical_json};

    /// The general RFC 8785 canonicaliser, which the hand-written bytes
    /// must equal.
    fn general(value: &impl Serialize) -> Vec<u8> {
        serde_json_canonicalizer::to_vec(value).expect("canonical")
    }

    fn entry(payload: &str, signatures: usize) -> Entry {
        Entry {
            v: ENTRY_VERSION,
            index: 9_007_199_254_740_991,
            prev: Hash::from_hex(&"ab".repeat(32)).unwrap(),
            recorded_at: RecordedAt::parse("2026-11-28T00:25:26.123456Z").unwrap(),
            envelope: Envelope {
                payload_type: "application/vnd.prasasti.statement+json".into(),
                payload: payload.into(),
                signatures: (0..signatures)
                    .map(|i| EnvelopeSignature {
                        keyid: format!("k{i}\u{7f}\u{2028}/"),
                        sig: format!("s\"\\\n\u{1}{i}é"),
                    })
                    .collect(),
            },
        }
    }

    #[test]
    fn hand_written_bytes_equal_the_general_canonical_form() {
        for (payload, n) in [("eyJhIjoxfQ==", 1), ("", 0), ("x\u{1f}\t\u{ffff}😀", 3)] {
            let e = entry(payload, n);
            assert_eq!(
                String::from_utf8(e.to_bytes()).unwrap(),
                String::from_utf8(general(&e)).unwrap()
            );
            assert_eq!(
                String::from_utf8(envelope_bytes(&e.envelope)).unwrap(),
                String::from_utf8(general(&e.envelope)).unwrap()
            );
            assert_eq!(canonical_json(&e), e.to_bytes());
            let largest = Entry {
                index: MAX_INDEX,
                ..e.clone()
            };
            assert_eq!(largest_entry_len(&e.envelope), largest.to_bytes().len());
        }
    }

    #[test]
    fn entries_parse_back_and_other_spellings_are_refused() {
        let e = entry("eyJhIjoxfQ==", 2);
        assert_eq!(Entry::parse(&e.to_bytes()).unwrap(), e);
        let spaced = String::from_utf8(e.to_bytes())
            .unwrap()
            .replacen(",", ", ", 1);
        assert_eq!(
            Entry::parse(spaced.as_bytes()),
            Err(EntryError::NotCanonical)
        );
        let late = e
            .to_bytes()
            .iter()
            .map(|&b| b as char)
            .collect::<String>()
            .replace("00:25:26.123456Z", "00:25:26Z");
        assert!(matches!(
            Entry::parse(late.as_bytes()),
            Err(EntryError::RecordedAt(_))
        ));
    }
}
