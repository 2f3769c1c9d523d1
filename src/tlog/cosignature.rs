//! Witness cosignatures (c2sp.org/tlog-cosignature, cosignature/v1 with
//! Ed25519): a witness signs a checkpoint it checked, with the time it did.
//!
//! - key type byte `0x04`; key ID = the first four bytes of
//!   `SHA-256(name || 0x0A || 0x04 || public key)`, read big-endian;
//! - verifier key: `<name>+<8 hex key ID>+base64(0x04 || public key)`;
//! - the signed message: `"cosignature/v1\ntime <ts>\n" || checkpoint text`
//!   (the note text: origin, size, root and any extension lines);
//! - the signature line's bytes: key ID (4) || timestamp (8, big-endian,
//!   seconds since the Unix epoch) || Ed25519 signature (64).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::note::{NoteError, NoteSignature, SIGNATURE_PREFIX, is_valid_name};

/// The key type byte of cosignature/v1 Ed25519 keys.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// The key ID of a cosigner key.
pub fn key_id(name: &str, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_COSIGNATURE_V1]);
    h.update(public);
    let digest = h.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// The bytes a cosigner signs for `checkpoint` (the note text) at `time`.
pub fn message(time: u64, checkpoint: &str) -> Vec<u8> {
    let mut out = format!("cosignature/v1\ntime {time}\n").into_bytes();
    out.extend_from_slice(checkpoint.as_bytes());
    out
}

/// A witness's signing key.
pub struct Cosigner {
    name: String,
    id: u32,
    key: SigningKey,
}

impl Cosigner {
    /// The cosigner `name` with the Ed25519 key from `seed`.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Cosigner, NoteError> {
        if !is_valid_name(name) {
            return Err(NoteError::MalformedKey(
                "a key name has no spaces and no '+'",
            ));
        }
        let key = SigningKey::from_bytes(&seed);
        Ok(Cosigner {
            id: key_id(name, key.verifying_key().as_bytes()),
            name: name.to_owned(),
            key,
        })
    }

    /// A new cosigner key for `name`, from the system's randomness.
    pub fn generate(name: &str) -> Result<Cosigner, NoteError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| NoteError::Randomness(e.to_string()))?;
        Cosigner::from_seed(name, seed)
    }

    /// Reads `PRIVATE+KEY+<name>+<8 hex>+base64(0x04 || seed)`.
    pub fn parse(text: &str) -> Result<Cosigner, NoteError> {
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::MalformedKey(
                "a private key starts with PRIVATE+KEY+",
            ))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::MalformedKey(
                "expected PRIVATE+KEY+<name>+<key id>+<key>",
            ));
        };
        let bytes = STANDARD
            .decode(key)
            .map_err(|_| NoteError::MalformedKey("the key is not valid base64"))?;
        if bytes.first() != Some(&ALG_COSIGNATURE_V1) {
            return Err(NoteError::MalformedKey("a cosigner key has type 0x04"));
        }
        let seed: [u8; 32] = bytes[1..]
            .try_into()
            .map_err(|_| NoteError::MalformedKey("an Ed25519 seed is 32 bytes"))?;
        let cosigner = Cosigner::from_seed(name, seed)?;
        if format!("{:08x}", cosigner.id) != id {
            return Err(NoteError::MalformedKey("the key ID does not match the key"));
        }
        Ok(cosigner)
    }

    /// The private key file's line.
    pub fn to_private_string(&self) -> String {
        let mut raw = vec![ALG_COSIGNATURE_V1];
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            STANDARD.encode(raw)
        )
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The verifier of this cosigner's signatures.
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// The signature line (ending in a newline) cosigning `checkpoint` at
    /// `time`.
    pub fn cosign(&self, checkpoint: &str, time: u64) -> String {
        let signature = self.key.sign(&message(time, checkpoint));
        let mut raw = self.id.to_be_bytes().to_vec();
        raw.extend_from_slice(&time.to_be_bytes());
        raw.extend_from_slice(&signature.to_bytes());
        format!("{SIGNATURE_PREFIX}{} {}\n", self.name, STANDARD.encode(raw))
    }
}

/// A witness's public key, as a policy or a verifier names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl CosignatureVerifier {
    /// Reads `<name>+<8 hex>+base64(0x04 || key)`.
    pub fn parse(text: &str) -> Result<CosignatureVerifier, NoteError> {
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::MalformedKey("expected <name>+<key id>+<key>"));
        };
        if !is_valid_name(name) {
            return Err(NoteError::MalformedKey(
                "a key name has no spaces and no '+'",
            ));
        }
        let id = (id.len() == 8
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| u32::from_str_radix(id, 16).ok())
        .flatten()
        .ok_or(NoteError::MalformedKey(
            "the key ID is 8 lowercase hex digits",
        ))?;
        let bytes = STANDARD
            .decode(key)
            .map_err(|_| NoteError::MalformedKey("the key is not valid base64"))?;
        if bytes.first() != Some(&ALG_COSIGNATURE_V1) {
            return Err(NoteError::MalformedKey(
                "a cosigner key has type 0x04 (cosignature/v1)",
            ));
        }
        let public: [u8; 32] = bytes[1..]
            .try_into()
            .map_err(|_| NoteError::MalformedKey("an Ed25519 key is 32 bytes"))?;
        if key_id(name, &public) != id {
            return Err(NoteError::MalformedKey("the key ID does not match the key"));
        }
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| NoteError::MalformedKey("not a valid Ed25519 key"))?;
        Ok(CosignatureVerifier {
            name: name.to_owned(),
            id,
            key,
        })
    }

    /// The key as a verifier key string.
    pub fn to_vkey_string(&self) -> String {
        let mut raw = vec![ALG_COSIGNATURE_V1];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.id, STANDARD.encode(raw))
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether `signature` (a line of a checkpoint's note) is this key's
    /// valid cosignature of `checkpoint`; its time if it is. A line by
    /// another key is `None`, as is one that does not verify.
    pub fn verify(&self, checkpoint: &str, signature: &NoteSignature) -> Option<u64> {
        if signature.name != self.name || signature.id != self.id {
            return None;
        }
        let (time, sig) = signature.signature.split_first_chunk::<8>()?;
        let sig = Signature::from_slice(sig).ok()?;
        let time = u64::from_be_bytes(*time);
        self.key
            .verify_strict(&message(time, checkpoint), &sig)
            .ok()
            .map(|()| time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::note;

    // Computed independently (Python's `cryptography` and `hashlib`) for the
    // seed 00 01 … 1f, the name below, and the checkpoint text below.
    const NAME: &str = "witness.example/inspektorat";
    const VKEY: &str =
        "witness.example/inspektorat+8e971d1b+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
    const CHECKPOINT: &str =
        "karanganyar.example/prasasti\n5\nvc4Ds0TXsYsnlgLk+0Ks5yqhTvhNVqqwu2LpVFzwxA0=\n";
    const TIME: u64 = 1_764_300_000;
    const SIGNATURE: &str = "jpcdGwAAAABpKRTgIZkHyqOeG2ceLenHSgAB6/FjP2ZxV9Pimt69qO6qK+5x7eglDMpYCEb4+TvqMhXZ2T+u8NO4lSHSO2lMsUI4BQ==";

    fn cosigner() -> Cosigner {
        let seed: [u8; 32] = std::array::from_fn(|i| i as u8);
        Cosigner::from_seed(NAME, seed).unwrap()
    }

    #[test]
    fn cosignatures_match_the_known_answers() {
        let cosigner = cosigner();
        assert_eq!(cosigner.verifier().to_vkey_string(), VKEY);
        assert_eq!(
            cosigner.cosign(CHECKPOINT, TIME),
            format!("— {NAME} {SIGNATURE}\n")
        );
        assert_eq!(
            message(TIME, CHECKPOINT),
            format!("cosignature/v1\ntime 1764300000\n{CHECKPOINT}").into_bytes()
        );
        let parsed = CosignatureVerifier::parse(VKEY).unwrap();
        assert_eq!(parsed, cosigner.verifier());
        let again = Cosigner::parse(&cosigner.to_private_string()).unwrap();
        assert_eq!(again.verifier(), cosigner.verifier());
    }

    #[test]
    fn a_cosignature_verifies_only_for_its_checkpoint_and_key() {
        let cosigner = cosigner();
        let verifier = cosigner.verifier();
        let log = note::NoteSigner::from_seed("karanganyar.example/prasasti", [9; 32]).unwrap();
        let signed = note::sign(CHECKPOINT, &[&log]).unwrap();
        let cosigned = format!("{signed}{}", cosigner.cosign(CHECKPOINT, TIME));
        let opened = note::open(&cosigned, &[log.verifier()]).unwrap();
        assert_eq!(opened.unverified.len(), 1);
        assert_eq!(
            verifier.verify(&opened.text, &opened.unverified[0]),
            Some(TIME)
        );
        let other =
            "karanganyar.example/prasasti\n6\nvc4Ds0TXsYsnlgLk+0Ks5yqhTvhNVqqwu2LpVFzwxA0=\n";
        assert_eq!(verifier.verify(other, &opened.unverified[0]), None);
        let stranger = Cosigner::from_seed(NAME, [1; 32]).unwrap().verifier();
        assert_eq!(stranger.verify(&opened.text, &opened.unverified[0]), None);
        let mut changed_time = opened.unverified[0].clone();
        changed_time.signature[7] ^= 1;
        assert_eq!(verifier.verify(&opened.text, &changed_time), None);
    }

    #[test]
    fn malformed_cosigner_keys_are_refused() {
        for bad in [
            "",
            "name",
            "na me+8e971d1b+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
            "witness.example/inspektorat+8E971D1B+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
            "witness.example/inspektorat+00000000+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
            // Type 0x01 (a log's note key), not a cosigner's.
            "witness.example/inspektorat+8e971d1b+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
            "witness.example/inspektorat+8e971d1b+BAOh",
        ] {
            assert!(CosignatureVerifier::parse(bad).is_err(), "{bad:?}");
        }
    }
}
