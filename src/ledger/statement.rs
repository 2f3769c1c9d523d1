//! Statements and their DSSE envelopes: what an official signs.
//!
//! A statement is a JSON object in RFC 8785 canonical form with at least
//! `type`, `ledger` and `id`. It travels as the payload of a DSSE envelope
//! signed with one or more Ed25519 keys over the DSSE pre-authentication
//! encoding. [`VerifiedEnvelope::check`] is the one gate every envelope goes
//! through, on the server and in the auditor alike.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::tlog::hash::{Hash, sha256};

/// The DSSE payload type of every statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.prasasti.statement+json";
/// Largest accepted envelope, in bytes of its JSON.
pub const MAX_ENVELOPE_BYTES: usize = 64 * 1024;
/// Longest statement `id`.
pub const MAX_ID_LEN: usize = 128;
/// Longest statement `type`.
pub const MAX_TYPE_LEN: usize = 64;
/// Most signatures on one envelope: more officials than any statement needs
/// (registrar thresholds and approver quorums included), few enough that
/// checking them costs little.
pub const MAX_SIGNATURES: usize = 16;

/// A DSSE envelope as it appears on the wire and inside entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Always [`PAYLOAD_TYPE`].
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// The statement's canonical JSON, in standard base64.
    pub payload: String,
    /// One signature per signing key.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One DSSE signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    /// The raw Ed25519 public key in lowercase hex (not covered by the signature).
    pub keyid: String,
    /// The Ed25519 signature over PAE(payloadType, payload), standard base64.
    pub sig: String,
}

/// Why an envelope was refused. Each variant is one rule; [`code`](Self::code)
/// is its stable name in API errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The envelope is larger than [`MAX_ENVELOPE_BYTES`].
    #[error("the envelope is {0} bytes; at most 65536 are accepted")]
    TooLarge(usize),
    /// Not a JSON DSSE envelope.
    #[error("not a DSSE envelope: {0}")]
    Malformed(String),
    /// `payloadType` is not the statement type.
    #[error("unknown payloadType {0:?}; expected \"application/vnd.prasasti.statement+json\"")]
    UnknownPayloadType(String),
    /// `payload` is not standard padded base64.
    #[error("the payload is not standard base64")]
    PayloadEncoding,
    /// The payload is not a JSON object.
    #[error("the payload is not a JSON object: {0}")]
    PayloadNotObject(String),
    /// The payload is not in RFC 8785 canonical form.
    #[error(
        "the payload is not RFC 8785 canonical JSON (sort keys, no whitespace, canonical numbers and strings)"
    )]
    NotCanonical,
    /// No signatures.
    #[error("the envelope has no signature")]
    NoSignature,
    /// More than [`MAX_SIGNATURES`] signatures.
    #[error("the envelope has {0} signatures; at most 16 are accepted")]
    TooManySignatures(usize),
    /// The entry wrapping the envelope would not fit a tile's entry bundle.
    #[error(
        "the entry for this envelope would be {0} bytes; an entry must fit in 65535 bytes (tlog-tiles entry bundles): make the statement smaller"
    )]
    EntryTooLarge(usize),
    /// A keyid is not 64 lowercase hex digits of a valid Ed25519 key.
    #[error("signature {position}: keyid must be 64 lowercase hex digits of an Ed25519 public key")]
    BadKeyId {
        /// Position of the signature in the list, from 0.
        position: usize,
    },
    /// A signature is not 64 bytes of standard base64.
    #[error("signature {position}: sig must be a 64-byte Ed25519 signature in standard base64")]
    BadSignatureEncoding {
        /// Position of the signature in the list, from 0.
        position: usize,
    },
    /// The same key signed twice.
    #[error("key {keyid} signed the envelope more than once")]
    DuplicateKey {
        /// The repeated key.
        keyid: String,
    },
    /// A signature does not verify.
    #[error("the signature by key {keyid} does not verify")]
    InvalidSignature {
        /// The key whose signature failed.
        keyid: String,
    },
    /// The statement names another ledger.
    #[error("the statement is for ledger {found:?}, this ledger is {expected:?}")]
    WrongLedger {
        /// This ledger's origin.
        expected: String,
        /// The `ledger` field of the statement.
        found: String,
    },
    /// A required field is missing or has the wrong form.
    #[error("field {field:?}: {problem}")]
    InvalidField {
        /// The field at fault.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl EnvelopeError {
    /// The stable error code of this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            EnvelopeError::TooLarge(_) => "envelope_too_large",
            EnvelopeError::Malformed(_) => "malformed_envelope",
            EnvelopeError::UnknownPayloadType(_) => "unknown_payload_type",
            EnvelopeError::PayloadEncoding => "malformed_payload",
            EnvelopeError::PayloadNotObject(_) => "malformed_payload",
            EnvelopeError::NotCanonical => "non_canonical_payload",
            EnvelopeError::NoSignature => "no_signature",
            EnvelopeError::TooManySignatures(_) => "too_many_signatures",
            EnvelopeError::EntryTooLarge(_) => "entry_too_large",
            EnvelopeError::BadKeyId { .. } => "malformed_keyid",
            EnvelopeError::BadSignatureEncoding { .. } => "malformed_signature",
            EnvelopeError::DuplicateKey { .. } => "duplicate_key",
            EnvelopeError::InvalidSignature { .. } => "invalid_signature",
            EnvelopeError::WrongLedger { .. } => "wrong_ledger",
            EnvelopeError::InvalidField { .. } => "invalid_statement",
        }
    }
}

/// DSSE pre-authentication encoding:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`.
pub fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + body.len() + 32);
    out.extend_from_slice(
        format!(
            "DSSEv1 {} {} {} ",
            payload_type.len(),
            payload_type,
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(body);
    out
}

/// RFC 8785 canonical JSON of a value.
pub fn canonical_json(value: &impl Serialize) -> Vec<u8> {
    super::jcs::to_vec(value)
}

/// Checks a statement `id`: 1 to 128 characters of `[A-Za-z0-9._:-]`.
pub fn is_valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

/// Checks a statement `type`: a lowercase letter, then up to 63 of
/// `[a-z0-9._-]`, such as `commitment.make`.
pub fn is_valid_type(t: &str) -> bool {
    (1..=MAX_TYPE_LEN).contains(&t.len())
        && t.as_bytes()[0].is_ascii_lowercase()
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// An envelope that passed every rule: canonical payload, known type, all
/// signatures valid, statement for this ledger with a valid `type` and `id`.
/// It can only be made by checking ([`check`](Self::check),
/// [`from_json`](Self::from_json)), or, for entries of the ledger's own
/// database, by [`from_own_log_without_signature_checks`](Self::from_own_log_without_signature_checks).
#[derive(Clone, Debug)]
pub struct VerifiedEnvelope {
    envelope: Envelope,
    statement: Map<String, Value>,
    statement_type: String,
    statement_id: String,
    signers: Vec<VerifyingKey>,
}

/// An envelope that passed every check but its signatures', with what
/// their verification needs.
struct Parsed {
    verified: VerifiedEnvelope,
    message: Vec<u8>,
    signatures: Vec<Signature>,
}

impl VerifiedEnvelope {
    /// Parses and checks an envelope's JSON bytes for the ledger `origin`.
    pub fn from_json(bytes: &[u8], origin: &str) -> Result<VerifiedEnvelope, EnvelopeError> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(EnvelopeError::TooLarge(bytes.len()));
        }
        let envelope: Envelope =
            serde_json::from_slice(bytes).map_err(|e| EnvelopeError::Malformed(e.to_string()))?;
        VerifiedEnvelope::check(envelope, origin)
    }

    /// Checks a parsed envelope for the ledger `origin`.
    pub fn check(envelope: Envelope, origin: &str) -> Result<VerifiedEnvelope, EnvelopeError> {
        VerifiedEnvelope::check_with(envelope, origin, true)
    }

    /// Reads an envelope of an entry already in this ledger's own database,
    /// whose signatures were checked when it was appended: every rule but
    /// the Ed25519 verification itself. For the server catching up with
    /// entries other servers appended; auditors use [`check`](Self::check).
    pub fn from_own_log_without_signature_checks(
        envelope: Envelope,
        origin: &str,
    ) -> Result<VerifiedEnvelope, EnvelopeError> {
        VerifiedEnvelope::check_with(envelope, origin, false)
    }

    /// Checks many envelopes together ([`super::signatures`]): each result
    /// is what [`check`](Self::check) gives for that envelope.
    pub fn check_all(
        envelopes: Vec<Envelope>,
        origin: &str,
    ) -> Vec<Result<VerifiedEnvelope, EnvelopeError>> {
        let parsed: Vec<Result<Parsed, EnvelopeError>> = envelopes
            .into_iter()
            .map(|envelope| VerifiedEnvelope::parse(envelope, origin))
            .collect();
        let mut owners = Vec::new();
        let mut checks = Vec::new();
        for (at, p) in parsed.iter().enumerate() {
            let Ok(p) = p else { continue };
            for (position, (key, signature)) in
                p.verified.signers.iter().zip(&p.signatures).enumerate()
            {
                owners.push((at, position));
                checks.push(super::signatures::Check {
                    key,
                    message: &p.message,
                    signature,
                });
            }
        }
        let mut bad: Vec<Option<usize>> = vec![None; parsed.len()];
        for failed in super::signatures::failing(&checks) {
            let (at, position) = owners[failed];
            bad[at].get_or_insert(position);
        }
        parsed
            .into_iter()
            .zip(bad)
            .map(|(p, bad)| {
                let p = p?;
                match bad {
                    None => Ok(p.verified),
                    Some(position) => Err(EnvelopeError::InvalidSignature {
                        keyid: p.verified.envelope.signatures[position].keyid.clone(),
                    }),
                }
            })
            .collect()
    }

    fn check_with(
        envelope: Envelope,
        origin: &str,
        verify_signatures: bool,
    ) -> Result<VerifiedEnvelope, EnvelopeError> {
        let p = VerifiedEnvelope::parse(envelope, origin)?;
        if verify_signatures {
            let checks: Vec<super::signatures::Check> = p
                .verified
                .signers
                .iter()
                .zip(&p.signatures)
                .map(|(key, signature)| super::signatures::Check {
                    key,
                    message: &p.message,
                    signature,
                })
                .collect();
            if let Some(&position) = super::signatures::failing(&checks).first() {
                return Err(EnvelopeError::InvalidSignature {
                    keyid: p.verified.envelope.signatures[position].keyid.clone(),
                });
            }
        }
        Ok(p.verified)
    }

    /// Every check of an envelope but the signatures' verification: what
    /// that verification needs is returned beside it.
    fn parse(envelope: Envelope, origin: &str) -> Result<Parsed, EnvelopeError> {
        if envelope.payload_type != PAYLOAD_TYPE {
            return Err(EnvelopeError::UnknownPayloadType(envelope.payload_type));
        }
        let payload = STANDARD
            .decode(envelope.payload.as_bytes())
            .map_err(|_| EnvelopeError::PayloadEncoding)?;
        let value: Value = serde_json::from_slice(&payload)
            .map_err(|e| EnvelopeError::PayloadNotObject(e.to_string()))?;
        let Value::Object(statement) = value else {
            return Err(EnvelopeError::PayloadNotObject(
                "it is not an object".into(),
            ));
        };
        if super::jcs::map_to_vec(&statement) != payload {
            return Err(EnvelopeError::NotCanonical);
        }
        // The cheap checks come first: nothing is worth a signature check
        // until the statement is for this ledger and fits the log.
        let field = |name: &'static str| statement.get(name).and_then(Value::as_str);
        let ledger = field("ledger").ok_or(EnvelopeError::InvalidField {
            field: "ledger",
            problem: "required, a string: the ledger's origin",
        })?;
        if ledger != origin {
            return Err(EnvelopeError::WrongLedger {
                expected: origin.to_owned(),
                found: ledger.to_owned(),
            });
        }
        let statement_type = field("type")
            .filter(|t| is_valid_type(t))
            .ok_or(EnvelopeError::InvalidField {
                field: "type",
                problem: "required, a string of a lowercase letter then up to 63 of [a-z0-9._-]",
            })?
            .to_owned();
        let statement_id = field("id")
            .filter(|id| is_valid_id(id))
            .ok_or(EnvelopeError::InvalidField {
                field: "id",
                problem: "required, a string of 1 to 128 characters of [A-Za-z0-9._:-]",
            })?
            .to_owned();
        if envelope.signatures.is_empty() {
            return Err(EnvelopeError::NoSignature);
        }
        if envelope.signatures.len() > MAX_SIGNATURES {
            return Err(EnvelopeError::TooManySignatures(envelope.signatures.len()));
        }
        let entry_len = super::entry::largest_entry_len(&envelope);
        if entry_len > super::entry::MAX_ENTRY_BYTES {
            return Err(EnvelopeError::EntryTooLarge(entry_len));
        }
        let message = pae(PAYLOAD_TYPE, &payload);
        let mut signers: Vec<VerifyingKey> = Vec::with_capacity(envelope.signatures.len());
        let mut signatures = Vec::with_capacity(envelope.signatures.len());
        for (position, s) in envelope.signatures.iter().enumerate() {
            let key = parse_keyid(&s.keyid).ok_or(EnvelopeError::BadKeyId { position })?;
            let sig = STANDARD
                .decode(s.sig.as_bytes())
                .ok()
                .and_then(|b| Signature::from_slice(&b).ok())
                .ok_or(EnvelopeError::BadSignatureEncoding { position })?;
            if signers.contains(&key) {
                return Err(EnvelopeError::DuplicateKey {
                    keyid: s.keyid.clone(),
                });
            }
            signers.push(key);
            signatures.push(sig);
        }
        Ok(Parsed {
            verified: VerifiedEnvelope {
                envelope,
                statement,
                statement_type,
                statement_id,
                signers,
            },
            message,
            signatures,
        })
    }

    /// The envelope as received.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// The decoded statement object.
    pub fn statement(&self) -> &Map<String, Value> {
        &self.statement
    }

    /// The statement `type`.
    pub fn statement_type(&self) -> &str {
        &self.statement_type
    }

    /// The statement `id`.
    pub fn statement_id(&self) -> &str {
        &self.statement_id
    }

    /// The keys whose signatures verified, in envelope order.
    pub fn signers(&self) -> &[VerifyingKey] {
        &self.signers
    }

    /// SHA-256 of the envelope's canonical JSON: equal digests mean an
    /// identical envelope (same statement, same signatures in the same order).
    pub fn digest(&self) -> Hash {
        sha256(&super::entry::envelope_bytes(&self.envelope))
    }
}

fn parse_keyid(keyid: &str) -> Option<VerifyingKey> {
    if keyid.len() != 64 || keyid.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let bytes: [u8; 32] = hex::decode(keyid).ok()?.try_into().ok()?;
    decompress_cached(&bytes)
}

/// Decompressing a public key costs a field exponentiation, a large part of
/// a signature check; a ledger has few signers, so remember them.
fn decompress_cached(bytes: &[u8; 32]) -> Option<VerifyingKey> {
    use std::collections::HashMap;
    use std::sync::{OnceLock, RwLock};
    const CAPACITY: usize = 4096;
    static KEYS: OnceLock<RwLock<HashMap<[u8; 32], VerifyingKey>>> = OnceLock::new();
    let keys = KEYS.get_or_init(Default::default);
    if let Some(key) = keys.read().ok().and_then(|k| k.get(bytes).copied()) {
        return Some(key);
    }
    let key = VerifyingKey::from_bytes(bytes).ok()?;
    if let Ok(mut keys) = keys.write() {
        if keys.len() >= CAPACITY {
            keys.clear();
        }
        keys.insert(*bytes, key);
    }
    Some(key)
}

/// The keyid of a public key: its 32 bytes in lowercase hex.
pub fn keyid_of(key: &VerifyingKey) -> String {
    hex::encode(key.as_bytes())
}

/// Makes an envelope for a statement, signed by `key`. The statement is
/// canonicalized first, so callers may pass any JSON object.
pub fn seal(statement: &Map<String, Value>, key: &SigningKey) -> Envelope {
    let payload = super::jcs::map_to_vec(statement);
    let sig = key.sign(&pae(PAYLOAD_TYPE, &payload));
    Envelope {
        payload_type: PAYLOAD_TYPE.to_owned(),
        payload: STANDARD.encode(&payload),
        signatures: vec![EnvelopeSignature {
            keyid: keyid_of(&key.verifying_key()),
            sig: STANDARD.encode(sig.to_bytes()),
        }],
    }
}

/// Adds `key`'s signature to an envelope (a co-signature). A key that has
/// already signed is not added twice.
pub fn cosign(envelope: &mut Envelope, key: &SigningKey) -> Result<(), EnvelopeError> {
    let keyid = keyid_of(&key.verifying_key());
    if envelope.signatures.iter().any(|s| s.keyid == keyid) {
        return Ok(());
    }
    let payload = STANDARD
        .decode(envelope.payload.as_bytes())
        .map_err(|_| EnvelopeError::PayloadEncoding)?;
    let sig = key.sign(&pae(&envelope.payload_type, &payload));
    envelope.signatures.push(EnvelopeSignature {
        keyid,
        sig: STANDARD.encode(sig.to_bytes()),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checking_many_at_once_gives_what_checking_each_gives() {
        use ed25519_dalek::SigningKey;
        let origin = "test.example/ledger";
        let statement = |id: &str, ledger: &str| {
            let serde_json::Value::Object(map) =
                serde_json::json!({"type": "document.register", "id": id, "ledger": ledger})
            else {
                unreachable!()
            };
            map
        };
        let (a, b) = (
            SigningKey::from_bytes(&[1; 32]),
            SigningKey::from_bytes(&[2; 32]),
        );
        let mut envelopes = Vec::new();
        for i in 0..150 {
            let id = format!("s{i}");
            let mut envelope = seal(&statement(&id, origin), &a);
            match i % 5 {
                0 => {}
                1 => cosign(&mut envelope, &b).unwrap(),
                2 => {
                    // The second signature is over other bytes.
                    cosign(&mut envelope, &b).unwrap();
                    let other = seal(&statement("other", origin), &b);
                    envelope.signatures[1].sig = other.signatures[0].sig.clone();
                }
                3 => envelope = seal(&statement(&id, "another.example/ledger"), &a),
                _ => {
                    let other = seal(&statement("other", origin), &a);
                    envelope.signatures[0].sig = other.signatures[0].sig.clone();
                }
            }
            envelopes.push(envelope);
        }
        let one_by_one: Vec<String> = envelopes
            .iter()
            .map(|e| {
                format!(
                    "{:?}",
                    VerifiedEnvelope::check(e.clone(), origin).map(|v| v.statement_id().to_owned())
                )
            })
            .collect();
        let together: Vec<String> = VerifiedEnvelope::check_all(envelopes, origin)
            .into_iter()
            .map(|r| format!("{:?}", r.map(|v| v.statement_id().to_owned())))
            .collect();
        assert_eq!(together, one_by_one);
        assert!(together.iter().filter(|r| r.starts_with("Ok")).count() == 60);
    }

    #[test]
    fn pae_matches_the_dsse_vector() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }

    #[test]
    fn ids_and_types() {
        assert!(is_valid_id("prog:smart-gov.2025_01"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id(&"a".repeat(129)));
        assert!(!is_valid_id("a b"));
        assert!(is_valid_type("commitment.make"));
        assert!(!is_valid_type("Commitment"));
        assert!(!is_valid_type("1x"));
    }
}
