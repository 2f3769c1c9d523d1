//! Witnessing, the log's side: asking the witnesses of a policy
//! (c2sp.org/tlog-policy) to cosign the latest checkpoint
//! (c2sp.org/tlog-witness), and publishing a checkpoint once their
//! cosignatures satisfy the quorum.
//!
//! A round runs at most every interval, never once per append: it reads
//! the newest signed checkpoint and, when it is newer than the newest
//! witnessed one, sends `add-checkpoint` to every witness at once, each
//! with the consistency proof from the size that witness last cosigned
//! (learnt from a `409`, as the protocol intends: a log starts with
//! `old 0`). Refusals that mean "this is not the history I cosigned"
//! (`403`, `404`, `422`) are alarms: logged as errors and shown on the
//! log's status. A witness that is down stops the witnessed size, never
//! the appends.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;

use super::entry::format_time;
use super::{Ledger, LedgerError};
use crate::store::StoredCheckpoint;
use crate::tlog::note::{self, NoteSignature};
use crate::tlog::policy::{Policy, Witness};
use crate::tlog::witness::AddCheckpoint;

/// How long the log waits for one witness's answer.
pub const WITNESS_TIMEOUT: Duration = Duration::from_secs(10);
/// Default pause between witnessing rounds.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
/// How many times one round resends to a witness that answered `409`.
const RESYNCS: usize = 3;

/// What this server last heard from one witness.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WitnessStatus {
    /// The witness's name in the policy.
    pub name: String,
    /// Where it is asked.
    pub url: Option<String>,
    /// When it last answered at all (RFC 3339 UTC).
    pub last_answer_at: Option<String>,
    /// The largest size it cosigned for this log, as far as this server knows.
    pub cosigned_size: Option<u64>,
    /// When it last cosigned (RFC 3339 UTC).
    pub last_cosigned_at: Option<String>,
    /// What went wrong on the last request, if it did.
    pub problem: Option<WitnessProblem>,
}

/// Why a witness did not cosign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessProblem {
    /// `alarm` (it refused the log's history: a fork, another key, an
    /// unknown log) or `unreachable` (no answer, or an answer that is not
    /// the protocol's).
    pub kind: &'static str,
    /// What happened.
    pub message: String,
    /// Since when (RFC 3339 UTC).
    pub since: String,
}

/// A ledger's witness policy and what its witnesses last said.
#[derive(Debug)]
pub struct Witnessing {
    policy: Policy,
    status: Mutex<Vec<WitnessStatus>>,
}

impl Witnessing {
    /// Witnessing under `policy`. Every witness needs a URL: the log must
    /// be able to ask it.
    pub fn new(policy: Policy) -> Result<Witnessing, String> {
        if let Some(w) = policy.witnesses.iter().find(|w| w.url.is_none()) {
            return Err(format!(
                "witness {} has no URL in the policy, so the log cannot ask it to cosign",
                w.name
            ));
        }
        let status = policy
            .witnesses
            .iter()
            .map(|w| WitnessStatus {
                name: w.name.clone(),
                url: w.url.clone(),
                ..Default::default()
            })
            .collect();
        Ok(Witnessing {
            policy,
            status: Mutex::new(status),
        })
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// What each witness last said to this server, in policy order.
    pub fn status(&self) -> Vec<WitnessStatus> {
        self.status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// What each witness last said, completed from the cosignatures the
    /// published checkpoint carries (which another server of the same log,
    /// or this one before a restart, may have collected).
    pub fn status_with(
        &self,
        log: &crate::tlog::note::NoteVerifier,
        published: Option<&StoredCheckpoint>,
    ) -> Vec<WitnessStatus> {
        let mut status = self.status();
        let Some(published) = published else {
            return status;
        };
        let Ok(opened) = note::open(&published.note, std::slice::from_ref(log)) else {
            return status;
        };
        for (name, time) in self.policy.cosigners(&opened) {
            let Some(s) = status.iter_mut().find(|s| s.name == name) else {
                continue;
            };
            if s.cosigned_size
                .is_none_or(|size| size < published.tree_size)
            {
                s.cosigned_size = Some(published.tree_size);
                s.last_cosigned_at = i64::try_from(time)
                    .ok()
                    .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                    .map(format_time);
            }
        }
        status
    }

    fn update(&self, i: usize, change: impl FnOnce(&mut WitnessStatus)) {
        let mut status = self
            .status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(s) = status.get_mut(i) {
            change(s);
        }
    }
}

/// What one witness answered in a round.
enum Answer {
    /// Its cosignature line (ending in a newline) and the time it carries.
    Cosigned(String),
    /// It holds a larger size of this log than this server's checkpoint:
    /// another server of the same log is ahead. Not an alarm.
    Ahead,
    /// No cosignature; the status says why.
    Nothing,
}

/// Runs witnessing rounds for `ledger` every `interval` until the ledger
/// is dropped. Does nothing for a ledger without a policy.
pub fn spawn(ledger: &Ledger, interval: Duration) -> Option<tokio::task::JoinHandle<()>> {
    ledger.inner.witnessing.as_ref()?;
    // Weak handles: the rounds stop once every `Ledger` is dropped.
    let inner = Arc::downgrade(&ledger.inner);
    let jobs = ledger.jobs.downgrade();
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let (Some(inner), Some(jobs)) = (inner.upgrade(), jobs.upgrade()) else {
                return;
            };
            let ledger = Ledger { inner, jobs };
            if let Err(e) = round(&ledger).await {
                tracing::warn!(error = %e, "a witnessing round failed; trying again");
            }
        }
    }))
}

/// One round: asks every witness to cosign the newest checkpoint, and
/// publishes it if the cosignatures satisfy the quorum. `Ok(true)` when a
/// checkpoint was published by this round.
pub async fn round(ledger: &Ledger) -> Result<bool, LedgerError> {
    let Some(witnessing) = ledger.inner.witnessing.clone() else {
        return Ok(false);
    };
    let store = &ledger.inner.store;
    let latest = ledger.latest_checkpoint().await?;
    let witnessed = store.latest_witnessed_checkpoint().await?;
    if witnessed.is_some_and(|w| w.tree_size >= latest.tree_size) {
        return Ok(false);
    }
    let asks = witnessing
        .policy
        .witnesses
        .iter()
        .enumerate()
        .map(|(i, w)| ask(ledger, &witnessing, i, w, &latest));
    let answers = futures_util::future::join_all(asks).await;
    let mut cosigned = BTreeSet::new();
    let mut note = latest.note.clone();
    for (witness, answer) in witnessing.policy.witnesses.iter().zip(answers) {
        if let Answer::Cosigned(line) = answer {
            cosigned.insert(witness.name.clone());
            note.push_str(&line);
        }
    }
    if !witnessing.policy.satisfied(&cosigned) {
        return Ok(false);
    }
    let published = StoredCheckpoint {
        note,
        signed_at: format_time(Utc::now()),
        ..latest
    };
    let added = store.add_witnessed_checkpoint(&published).await?;
    crate::metrics::metrics()
        .witnessed_size
        .store(published.tree_size, std::sync::atomic::Ordering::Relaxed);
    if added {
        tracing::info!(
            size = published.tree_size,
            witnesses = ?cosigned,
            "checkpoint witnessed"
        );
    }
    Ok(added)
}

async fn ask(
    ledger: &Ledger,
    witnessing: &Witnessing,
    i: usize,
    witness: &Witness,
    latest: &StoredCheckpoint,
) -> Answer {
    let now = || format_time(Utc::now());
    let problem = |kind: &'static str, message: String| {
        if kind == "alarm" {
            tracing::error!(witness = %witness.name, %message, "ALARM: a witness refused the log's checkpoint");
        } else {
            tracing::warn!(witness = %witness.name, %message, "a witness did not answer");
        }
        witnessing.update(i, |s| {
            let since = match &s.problem {
                Some(p) if p.kind == kind && p.message == message => p.since.clone(),
                _ => now(),
            };
            s.problem = Some(WitnessProblem {
                kind,
                message,
                since,
            });
        });
        Answer::Nothing
    };
    let Some(base) = witness.url.as_deref() else {
        return problem("unreachable", "no URL in the policy".into());
    };
    let url = format!("{}/add-checkpoint", base.trim_end_matches('/'));
    let size = latest.tree_size;
    let mut old = witnessing
        .status()
        .get(i)
        .and_then(|s| s.cosigned_size)
        .filter(|&s| s <= size)
        .unwrap_or(0);
    for _ in 0..=RESYNCS {
        let proof = if old > 0 && old < size {
            match ledger.consistency_proof(old, size).await {
                Ok(proof) => proof,
                Err(e) => return problem("unreachable", format!("no consistency proof: {e}")),
            }
        } else {
            Vec::new()
        };
        let body = AddCheckpoint {
            old,
            proof,
            checkpoint: latest.note.clone(),
        }
        .to_body();
        let (status, content_type, text) =
            match super::http::post_text(&url, body, WITNESS_TIMEOUT).await {
                Ok(answer) => answer,
                Err(e) => return problem("unreachable", e.to_string()),
            };
        witnessing.update(i, |s| s.last_answer_at = Some(now()));
        match status {
            200 => {
                let Some(line) = cosignature_line(witness, &latest.note, &text) else {
                    return problem(
                        "alarm",
                        "it answered 200 without a valid cosignature by its key".into(),
                    );
                };
                witnessing.update(i, |s| {
                    s.cosigned_size = Some(size);
                    s.last_cosigned_at = Some(now());
                    s.problem = None;
                });
                return Answer::Cosigned(line);
            }
            409 if content_type.starts_with("text/x.tlog.size") => {
                let Ok(held) = text.trim().parse::<u64>() else {
                    return problem("unreachable", format!("a 409 without a size: {text:?}"));
                };
                if held > size {
                    witnessing.update(i, |s| s.cosigned_size = Some(held));
                    return Answer::Ahead;
                }
                if held == old {
                    return problem("unreachable", format!("409 for the size it holds ({held})"));
                }
                old = held;
            }
            403 | 404 | 422 | 400 => {
                return problem("alarm", format!("HTTP {status}: {}", text.trim()));
            }
            _ => {
                return problem("unreachable", format!("HTTP {status}: {}", text.trim()));
            }
        }
    }
    problem(
        "unreachable",
        format!("it kept answering 409 after {RESYNCS} resyncs"),
    )
}

/// The first line of `answer` that is `witness`'s valid cosignature of
/// the checkpoint in `note`, with its newline.
fn cosignature_line(witness: &Witness, note: &str, answer: &str) -> Option<String> {
    let text = note
        .split_once("\n\n")
        .map(|(text, _)| format!("{text}\n"))?;
    answer.lines().find_map(|line| {
        let signature = parse_signature_line(line)?;
        witness.key.verify(&text, &signature)?;
        Some(format!("{line}\n"))
    })
}

fn parse_signature_line(line: &str) -> Option<NoteSignature> {
    use base64::Engine as _;
    let rest = line.strip_prefix(note::SIGNATURE_PREFIX)?;
    let (name, b64) = rest.split_once(' ')?;
    let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let (id, signature) = raw.split_first_chunk::<4>()?;
    Some(NoteSignature {
        name: name.to_owned(),
        id: u32::from_be_bytes(*id),
        signature: signature.to_vec(),
    })
}
