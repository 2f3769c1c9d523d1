//! Ed25519 signature checks of many envelopes at once, exactly as strict
//! as `verify_strict`.
//!
//! Batch verification (one random linear combination of many signature
//! equations) was tried here and measured slower, once made as strict as
//! `verify_strict`: a point with a small-order component can cancel out of
//! the combination, so each signature's `R` must first be shown free of one
//! (a scalar multiplication by the group order), and that check alone costs
//! about what `verify_strict` does. On the development machine (README,
//! "Measured"): `verify_strict` 41.6 µs a signature; batches of 64 with that
//! check 61.9 µs; the bare batch equation 21.4 µs.
//!
//! So each signature's own equation is checked, as `verify_strict` does,
//! but without the two field exponentiations that surround it there: `R`
//! is not decoded (comparing encodings makes that unnecessary), and the
//! encodings of a call's recomputed `R'` share one inversion (see
//! [`failing`]). The speed under load comes from checking the envelopes of
//! many requests together on every core.

use ed25519_dalek::{Signature, VerifyingKey};

/// Signatures checked together on one core: enough to keep every core busy
/// without waiting for stragglers.
pub const BATCH: usize = 64;

/// One signature to check.
#[derive(Clone, Copy, Debug)]
pub struct Check<'a> {
    /// The key.
    pub key: &'a VerifyingKey,
    /// The signed message.
    pub message: &'a [u8],
    /// The signature.
    pub signature: &'a Signature,
}

/// Checks every signature exactly as `verify_strict` does; the positions of
/// those that fail, in order.
///
/// `verify_strict` (ed25519-dalek 3) accepts a signature `(R, S)` of a
/// message `M` by the key `A` when `S` is reduced (below the group order),
/// `R` decodes to a point, neither `R` nor `A` has small order, and the
/// point `R' = [S]B − [k]A`, with `k = SHA-512(R ‖ A ‖ M)`, encodes to the
/// bytes `R`. That last comparison already implies that `R` decodes (to
/// `R'` itself, as every encoding a point compresses to decodes back to
/// it), so `R` needs no decoding of its own (a square root in the field),
/// and "`R` has no small order" is the same as "`R'` has none". The
/// encodings of all the `R'` of a call share one field inversion
/// (`compress_batch_alloc`) instead of one inversion each. The result is
/// `verify_strict`'s on every input; tests pin it on the ed25519-speccheck
/// cases and on altered signatures.
pub fn failing(checks: &[Check<'_>]) -> Vec<usize> {
    use curve25519_dalek::{EdwardsPoint, Scalar};
    use sha2::{Digest, Sha512};
    let mut failed = Vec::new();
    let mut computed: Vec<(usize, EdwardsPoint)> = Vec::with_capacity(checks.len());
    for (i, check) in checks.iter().enumerate() {
        let r = check.signature.r_bytes();
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(*check.signature.s_bytes()));
        let a = check.key.to_edwards();
        let (Some(s), false) = (s, a.is_small_order()) else {
            failed.push(i);
            continue;
        };
        let k = Scalar::from_bytes_mod_order_wide(
            &Sha512::new()
                .chain_update(r)
                .chain_update(check.key.as_bytes())
                .chain_update(check.message)
                .finalize()
                .into(),
        );
        let expected = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &-a, &s);
        if expected.is_small_order() {
            failed.push(i);
            continue;
        }
        computed.push((i, expected));
    }
    let points: Vec<EdwardsPoint> = computed.iter().map(|(_, p)| *p).collect();
    for ((i, _), encoded) in computed
        .iter()
        .zip(EdwardsPoint::compress_batch_alloc(&points))
    {
        if encoded.as_bytes() != checks[*i].signature.r_bytes() {
            failed.push(*i);
        }
    }
    failed.sort_unstable();
    failed
}

#[cfg(test)]
fn strict(check: &Check<'_>) -> bool {
    check
        .key
        .verify_strict(check.message, check.signature)
        .is_ok()
}

/// Checks posted envelopes together: those that arrive while a round is
/// being checked wait for the next one, so under load the signatures of
/// many requests are checked on every core at once, and a lone request is
/// checked at once.
#[derive(Clone)]
pub struct EnvelopeChecker {
    jobs: tokio::sync::mpsc::Sender<CheckJob>,
    rounds: std::sync::Arc<Rounds>,
}

/// What the checker tells those waiting for its results in bulk (the
/// appender): how many envelopes are being checked, and when a round ends.
#[derive(Default)]
struct Rounds {
    /// Envelopes of the round being checked.
    in_flight: std::sync::atomic::AtomicUsize,
    /// Told when a round's answers have all been sent.
    done: tokio::sync::Notify,
}

type CheckJob = (
    super::statement::Envelope,
    tokio::sync::oneshot::Sender<
        Result<super::statement::VerifiedEnvelope, super::statement::EnvelopeError>,
    >,
);

/// Most envelopes taken into one round of checks.
const MAX_ROUND: usize = 512;

impl EnvelopeChecker {
    /// A checker for the ledger `origin`, with its task.
    pub fn start(origin: String) -> EnvelopeChecker {
        let (jobs, mut rx) = tokio::sync::mpsc::channel::<CheckJob>(4 * MAX_ROUND);
        let rounds = std::sync::Arc::new(Rounds::default());
        let told = rounds.clone();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut round = vec![first];
                while round.len() < MAX_ROUND {
                    match rx.try_recv() {
                        Ok(job) => round.push(job),
                        Err(_) => break,
                    }
                }
                let (envelopes, replies): (Vec<_>, Vec<_>) = round.into_iter().unzip();
                // Counted and uncounted by this task alone, so a request
                // that goes away never leaves the count behind.
                let answered = replies.len();
                told.in_flight
                    .fetch_add(answered, std::sync::atomic::Ordering::AcqRel);
                let origin = origin.clone();
                let checked = tokio::task::spawn_blocking(move || {
                    use rayon::prelude::*;
                    envelopes
                        .par_chunks(BATCH)
                        .flat_map_iter(|chunk| {
                            super::statement::VerifiedEnvelope::check_all(chunk.to_vec(), &origin)
                        })
                        .collect::<Vec<_>>()
                })
                .await;
                match checked {
                    Ok(results) => {
                        for (reply, result) in replies.into_iter().zip(results) {
                            let _ = reply.send(result);
                        }
                    }
                    // A panic in the checks: these requests get no answer
                    // (their handlers answer 503) and the checker goes on.
                    Err(e) => tracing::error!(error = %e, "a round of signature checks failed"),
                }
                told.in_flight
                    .fetch_sub(answered, std::sync::atomic::Ordering::AcqRel);
                told.done.notify_waiters();
            }
        });
        EnvelopeChecker { jobs, rounds }
    }

    /// Waits, at most `limit`, until the round of checks in progress (if
    /// any) has sent its answers: the appender, holding a batch, waits so
    /// that the envelopes about to be submitted join it rather than the
    /// next one. Returns at once when nothing is being checked, so a lone
    /// request never waits.
    pub async fn round_finished(&self, limit: std::time::Duration) {
        let done = self.rounds.done.notified();
        tokio::pin!(done);
        done.as_mut().enable();
        if self
            .rounds
            .in_flight
            .load(std::sync::atomic::Ordering::Acquire)
            > 0
        {
            let _ = tokio::time::timeout(limit, done).await;
        }
    }

    /// Checks an envelope as [`VerifiedEnvelope::check`] does; `None` when
    /// the checker is gone.
    ///
    /// [`VerifiedEnvelope::check`]: super::statement::VerifiedEnvelope::check
    pub async fn check(
        &self,
        envelope: super::statement::Envelope,
    ) -> Option<Result<super::statement::VerifiedEnvelope, super::statement::EnvelopeError>> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.jobs.send((envelope, reply)).await.ok()?;
        rx.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::edwards::CompressedEdwardsY;
    use ed25519_dalek::{Signer as _, SigningKey};

    #[test]
    fn a_batch_with_one_bad_signature_names_it_and_only_it() {
        let keys: Vec<SigningKey> = (0..150u8)
            .map(|i| SigningKey::from_bytes(&[i; 32]))
            .collect();
        let messages: Vec<Vec<u8>> = (0..150u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let mut signatures: Vec<Signature> =
            keys.iter().zip(&messages).map(|(k, m)| k.sign(m)).collect();
        let verifying: Vec<VerifyingKey> = keys.iter().map(SigningKey::verifying_key).collect();
        signatures[70] = keys[70].sign(b"something else");
        signatures[149] = signatures[148];
        let checks: Vec<Check> = (0..150)
            .map(|i| Check {
                key: &verifying[i],
                message: &messages[i],
                signature: &signatures[i],
            })
            .collect();
        assert_eq!(failing(&checks), vec![70, 149]);
        assert!(failing(&checks[..70]).is_empty());
    }

    /// A small-order point of order 8.
    fn torsion() -> curve25519_dalek::EdwardsPoint {
        curve25519_dalek::constants::EIGHT_TORSION[1]
    }

    /// Cases from a few variations of valid signatures: bits flipped, a
    /// small-order component added to R or to the key, S pushed past the
    /// group order, R negated, and the untouched ones.
    fn variations() -> Vec<(VerifyingKey, Vec<u8>, Signature)> {
        use sha2::{Digest, Sha256};
        let mut out = Vec::new();
        for n in 0u32..64 {
            let seed: [u8; 32] = Sha256::digest(n.to_be_bytes()).into();
            let key = SigningKey::from_bytes(&seed);
            let message = seed[..(n as usize % 32)].to_vec();
            let good = key.sign(&message);
            let public = key.verifying_key();
            let mut bytes = good.to_bytes();
            let variant = n % 7;
            match variant {
                0 => {}
                1 => bytes[(n as usize * 7) % 64] ^= 1 << (n % 8),
                2 => {
                    // R + T: a mixed-order R.
                    let r = CompressedEdwardsY(*good.r_bytes()).decompress().unwrap() + torsion();
                    bytes[..32].copy_from_slice(r.compress().as_bytes());
                }
                3 => {
                    // S + l: the same S, not reduced.
                    // The group order ℓ, little-endian.
                    let l = hex::decode(
                        "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
                    )
                    .unwrap();
                    let mut carry = 0u16;
                    for i in 0..32 {
                        let sum = u16::from(bytes[32 + i]) + u16::from(l[i]) + carry;
                        bytes[32 + i] = sum as u8;
                        carry = sum >> 8;
                    }
                }
                6 => {
                    // R's sign bit flipped: the encoding of R's negation.
                    bytes[31] ^= 0x80;
                }
                _ => {}
            }
            let verifying = if variant == 4 {
                // A + T: a mixed-order key.
                let a = CompressedEdwardsY(public.to_bytes()).decompress().unwrap() + torsion();
                VerifyingKey::from_bytes(a.compress().as_bytes()).unwrap()
            } else {
                public
            };
            let message = if variant == 5 {
                b"other".to_vec()
            } else {
                message
            };
            out.push((verifying, message, Signature::from_bytes(&bytes)));
        }
        out
    }

    fn speccheck() -> Vec<(VerifyingKey, Vec<u8>, Signature)> {
        let cases: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/data/ed25519/speccheck-cases.json"
        ))
        .unwrap();
        cases
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| {
                let bytes = |f: &str| hex::decode(c[f].as_str().unwrap()).unwrap();
                // A key that does not even decode is refused before any check.
                let key = VerifyingKey::from_bytes(&bytes("pub_key").try_into().unwrap()).ok()?;
                let sig = Signature::from_bytes(&bytes("signature").try_into().unwrap());
                Some((key, bytes("message"), sig))
            })
            .collect()
    }

    #[test]
    fn checks_refuse_exactly_what_verify_strict_refuses() {
        let mut cases = speccheck();
        assert!(cases.len() >= 10);
        cases.extend(variations());
        let checks: Vec<Check> = cases
            .iter()
            .map(|(key, message, signature)| Check {
                key,
                message,
                signature,
            })
            .collect();
        let refused_by_strict: Vec<usize> =
            (0..checks.len()).filter(|&i| !strict(&checks[i])).collect();
        // Alone, and all together in batches.
        for (i, check) in checks.iter().enumerate() {
            assert_eq!(
                failing(std::slice::from_ref(check)).is_empty(),
                strict(check),
                "case {i}"
            );
        }
        assert_eq!(failing(&checks), refused_by_strict);
        // Both kinds are there.
        assert!(refused_by_strict.len() > 10 && refused_by_strict.len() < checks.len() - 10);
    }

    #[tokio::test]
    async fn the_checker_counts_what_it_is_checking_and_a_lone_batch_never_waits() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let origin = "test.prasasti.example/ledger";
        let checker = EnvelopeChecker::start(origin.to_owned());
        let envelope = |id: &str| {
            let serde_json::Value::Object(statement) = serde_json::json!(
                {"type": "document.register", "id": id, "ledger": origin}
            ) else {
                unreachable!()
            };
            crate::ledger::statement::seal(&statement, &key)
        };
        let mut forged = envelope("forged");
        forged.signatures[0].sig = envelope("other").signatures[0].sig.clone();
        let (good, bad) = tokio::join!(checker.check(envelope("a")), checker.check(forged));
        assert!(matches!(good, Some(Ok(_))));
        assert!(matches!(
            bad,
            Some(Err(
                crate::ledger::statement::EnvelopeError::InvalidSignature { .. }
            ))
        ));
        // Both answered: nothing is being checked, so a batch waiting for
        // the round in progress goes on at once rather than after an hour.
        assert_eq!(
            checker
                .rounds
                .in_flight
                .load(std::sync::atomic::Ordering::Acquire),
            0
        );
        tokio::time::timeout(
            std::time::Duration::from_secs(30),
            checker.round_finished(std::time::Duration::from_secs(3600)),
        )
        .await
        .expect("no round in progress, no wait");
    }
}
