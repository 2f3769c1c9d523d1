//! The full audit: re-derives every leaf hash, the hash chain, the Merkle
//! root and every signature from the entries alone, checks the checkpoint's
//! signature, and checks the log still extends the last checkpoint this
//! auditor trusted.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

mod source;

use rayon::prelude::*;
use tokio::sync::mpsc;

use self::source::{Chunk, fetch_checkpoint, fetch_chunks};
pub use self::source::{Source, read_entries};
use super::entry::Entry;
use super::rules::{Fold, Refusal};
use super::statement::VerifiedEnvelope;
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::hash::{CompactRange, Hash, leaf_hash};
use crate::tlog::note::NoteVerifier;

/// What the audit found wrong. The first problem found ends the audit.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The log could not be read.
    #[error("cannot read the log: {0}")]
    Fetch(String),
    /// The checkpoint is not validly signed by the log key.
    #[error("the checkpoint is not valid: {0}")]
    Checkpoint(String),
    /// The checkpoint's cosignatures do not meet the witness policy.
    #[error("the checkpoint is not witnessed as the policy requires: {0}")]
    Witnesses(#[from] crate::tlog::policy::QuorumError),
    /// An entry is bad.
    #[error("entry {index}: {problem}")]
    Entry {
        /// The first bad index.
        index: u64,
        /// What is wrong with it.
        problem: String,
    },
    /// The entries do not hash to the checkpoint's root.
    #[error(
        "the entries hash to root {computed}, but the checkpoint of size {size} says {expected}"
    )]
    Root {
        /// Tree size.
        size: u64,
        /// Root in the checkpoint.
        expected: Hash,
        /// Root recomputed from the entries.
        computed: Hash,
    },
    /// The log is smaller than a checkpoint trusted earlier.
    #[error(
        "the log was rolled back: it now has {size} entries, but a checkpoint of {trusted} entries was trusted before"
    )]
    Rollback {
        /// Size now.
        size: u64,
        /// Size trusted before.
        trusted: u64,
    },
    /// The first entries no longer hash to a root trusted earlier.
    #[error(
        "the log was rewritten: its first {size} entries hash to {computed}, but the checkpoint trusted before says {trusted}"
    )]
    Fork {
        /// Size of the trusted checkpoint.
        size: u64,
        /// Root trusted before.
        trusted: Hash,
        /// Root recomputed now.
        computed: Hash,
    },
    /// A stored checkpoint or hash disagrees with the entries (database audits).
    #[error("stored data disagrees with the entries: {0}")]
    Stored(String),
    /// The state file could not be read or written.
    #[error("state file {path}: {problem}")]
    State {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
}

/// What a successful audit established.
#[derive(Clone, Debug)]
pub struct Report {
    /// The verified checkpoint.
    pub checkpoint: Checkpoint,
    /// Its signed note, verbatim (with any cosignatures).
    pub note: String,
    /// Entries whose leaf, chain position and signatures were re-derived.
    pub entries: u64,
    /// Signatures verified.
    pub signatures: u64,
    /// Size of the checkpoint trusted before, when there was one.
    pub previously_trusted: Option<u64>,
    /// With a witness policy: the witnesses whose cosignatures on the
    /// checkpoint met its quorum, with their times (Unix seconds).
    pub cosigners: Vec<(String, u64)>,
    /// Time spent.
    pub elapsed: Duration,
    /// Entries the rules refuse, in log order (audits with rules only).
    pub violations: Vec<Violation>,
}

/// An entry in the log that breaks a rule above the log.
#[derive(Clone, Debug)]
pub struct Violation {
    /// Its index.
    pub index: u64,
    /// The rule it breaks.
    pub refusal: Refusal,
}

/// How to audit.
#[derive(Clone, Debug)]
pub struct Options {
    /// The log's verifier key.
    pub verifier: NoteVerifier,
    /// Where the last trusted checkpoint is kept between audits.
    pub state_file: Option<PathBuf>,
    /// The witness policy the checkpoint must meet, if any: the published
    /// (witnessed) checkpoint is audited then.
    pub policy: Option<crate::tlog::policy::Policy>,
    /// Told how many entries of how many are verified, as the audit goes
    /// (the command line draws a progress bar with it).
    pub progress: Progress,
}

/// A callback told `(entries verified, entries in all)` as work goes on.
#[derive(Clone, Default)]
pub struct Progress(Option<std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>>);

impl Progress {
    /// No one is told.
    pub fn none() -> Progress {
        Progress(None)
    }

    /// `report` is told each step.
    pub fn to(report: impl Fn(u64, u64) + Send + Sync + 'static) -> Progress {
        Progress(Some(std::sync::Arc::new(report)))
    }

    /// Tells the callback, if any.
    pub fn report(&self, done: u64, total: u64) {
        if let Some(report) = &self.0 {
            report(done, total);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(reported)"
        } else {
            "Progress(none)"
        })
    }
}

/// Audits the whole log.
pub async fn verify(source: &Source, options: &Options) -> Result<Report, VerifyError> {
    verify_with(source, options, None).await
}

/// Audits the whole log and replays `rules` over it from their empty
/// state: every entry they refuse is reported, and the audit goes on.
pub async fn verify_with(
    source: &Source,
    options: &Options,
    mut rules: Option<&mut dyn Fold>,
) -> Result<Report, VerifyError> {
    let started = Instant::now();
    let origin = options.verifier.name().to_owned();
    let note = fetch_checkpoint(source, options.policy.is_some()).await?;
    let checkpoint = Checkpoint::open(&note, &options.verifier)
        .map_err(|e| VerifyError::Checkpoint(e.to_string()))?;
    let cosigners = match &options.policy {
        Some(policy) => {
            let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
            policy.check(&note, &options.verifier, now)?
        }
        None => Vec::new(),
    };

    let trusted = match &options.state_file {
        Some(path) => load_state(path, &options.verifier)?,
        None => None,
    };
    if let Some(t) = &trusted
        && t.size > checkpoint.size
    {
        return Err(VerifyError::Rollback {
            size: checkpoint.size,
            trusted: t.size,
        });
    }
    // Roots the entries must reproduce at given sizes.
    let mut expected_roots: BTreeMap<u64, (Hash, RootSource)> = BTreeMap::new();
    if let Some(t) = &trusted {
        expected_roots.insert(t.size, (t.root, RootSource::Trusted));
    }
    if let Source::Database(store) = source {
        for stored in store
            .checkpoints()
            .await
            .map_err(|e| VerifyError::Fetch(e.to_string()))?
        {
            if stored.tree_size <= checkpoint.size {
                expected_roots
                    .entry(stored.tree_size)
                    .or_insert((stored.root, RootSource::Stored));
            }
        }
    }

    options.progress.report(0, checkpoint.size);

    let (tx, mut rx) = mpsc::channel::<Result<Chunk, VerifyError>>(8);
    let producer = tokio::spawn(fetch_chunks(source.clone(), checkpoint.size, tx));

    let mut range = CompactRange::default();
    let mut prev = Hash::ZERO;
    let mut last_time = None;
    let mut seen_ids: HashSet<String> = HashSet::new();
    let mut signatures = 0u64;
    let mut violations = Vec::new();
    check_root(&range, &expected_roots)?;
    // Signatures dominate the cost: each chunk is checked on every core
    // while the previous one goes through the sequential checks.
    let check = |chunk: Chunk| {
        let origin = origin.clone();
        tokio::task::spawn_blocking(move || {
            let checked: Vec<Result<(Entry, VerifiedEnvelope), String>> = chunk
                .bodies
                .par_chunks(super::signatures::BATCH)
                .flat_map_iter(|bodies| check_entries(bodies, &origin))
                .collect();
            (chunk, checked)
        })
    };
    let mut in_flight = match rx.recv().await {
        Some(chunk) => Some(check(chunk?)),
        None => None,
    };
    while let Some(handle) = in_flight.take() {
        if let Some(next) = rx.recv().await {
            in_flight = Some(check(next?));
        }
        let (chunk, checked) = handle
            .await
            .map_err(|e| VerifyError::Fetch(e.to_string()))?;
        let start = chunk.start;
        for (offset, (body, result)) in chunk.bodies.iter().zip(checked).enumerate() {
            let index = start + offset as u64;
            let bad = |problem: String| VerifyError::Entry { index, problem };
            let (entry, envelope) = result.map_err(bad)?;
            if entry.index != index {
                return Err(bad(format!("it says it is entry {}", entry.index)));
            }
            if entry.prev != prev {
                return Err(bad(format!(
                    "prev is {}, but entry {} hashes to {}: one of the two was altered",
                    entry.prev,
                    index.wrapping_sub(1),
                    prev.to_hex()
                )));
            }
            let time = Some(entry.recorded_at.instant());
            if time < last_time {
                return Err(bad(format!(
                    "recorded_at {} goes back in time",
                    entry.recorded_at
                )));
            }
            last_time = time;
            if index == 0
                && !envelope
                    .signers()
                    .contains(options.verifier.verifying_key())
            {
                return Err(bad(
                    "the genesis is not signed by the ledger's own key: the operator never consented to it"
                        .into(),
                ));
            }
            if !seen_ids.insert(envelope.statement_id().to_owned()) {
                return Err(bad(format!(
                    "statement id {:?} was already used",
                    envelope.statement_id()
                )));
            }
            let leaf = leaf_hash(body);
            if let Some(stored) = &chunk.stored_leaves
                && stored[offset] != leaf
            {
                return Err(bad(format!(
                    "the entry hashes to {leaf}, but the log's tree holds {} for it: the entry was altered",
                    stored[offset]
                )));
            }
            signatures += envelope.signers().len() as u64;
            if let Some(fold) = rules.as_deref_mut()
                && let Err(refusal) = fold.apply(&entry, &envelope)
            {
                fold.skip();
                violations.push(Violation { index, refusal });
            }
            prev = leaf;
            range.push(leaf);
            check_root(&range, &expected_roots)?;
        }
        options.progress.report(range.size(), checkpoint.size);
    }
    producer
        .await
        .map_err(|e| VerifyError::Fetch(e.to_string()))?;

    if range.size() != checkpoint.size {
        return Err(VerifyError::Fetch(format!(
            "the log served {} entries, the checkpoint covers {}",
            range.size(),
            checkpoint.size
        )));
    }
    if range.root() != checkpoint.root {
        return Err(VerifyError::Root {
            size: checkpoint.size,
            expected: checkpoint.root,
            computed: range.root(),
        });
    }
    if let Some(path) = &options.state_file {
        save_state(path, &note)?;
    }
    Ok(Report {
        note,
        checkpoint: checkpoint.clone(),
        entries: range.size(),
        signatures,
        previously_trusted: trusted.map(|t| t.size),
        cosigners,
        elapsed: started.elapsed(),
        violations,
    })
}

/// Where a root the entries must reproduce comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RootSource {
    /// The checkpoint this auditor trusted on an earlier run.
    Trusted,
    /// A checkpoint stored in the database being audited.
    Stored,
}

fn check_root(
    range: &CompactRange,
    expected: &BTreeMap<u64, (Hash, RootSource)>,
) -> Result<(), VerifyError> {
    let Some((root, kind)) = expected.get(&range.size()) else {
        return Ok(());
    };
    let computed = range.root();
    if computed == *root {
        return Ok(());
    }
    if *kind == RootSource::Trusted {
        return Err(VerifyError::Fork {
            size: range.size(),
            trusted: *root,
            computed,
        });
    }
    Err(VerifyError::Stored(format!(
        "the stored checkpoint of size {} has root {root}, the entries give {computed}",
        range.size()
    )))
}

/// Everything about some entries that does not depend on their
/// neighbours, their signatures included.
fn check_entries(
    bodies: &[Vec<u8>],
    origin: &str,
) -> Vec<Result<(Entry, VerifiedEnvelope), String>> {
    let entries: Vec<Result<Entry, String>> = bodies
        .iter()
        .map(|body| Entry::parse(body).map_err(|e| e.to_string()))
        .collect();
    let envelopes: Vec<_> = entries
        .iter()
        .filter_map(|e| e.as_ref().ok().map(|e| e.envelope.clone()))
        .collect();
    let mut checked = VerifiedEnvelope::check_all(envelopes, origin).into_iter();
    entries
        .into_iter()
        .map(|entry| {
            let entry = entry?;
            let envelope = checked
                .next()
                .ok_or_else(|| "an entry's envelope was not checked".to_owned())?
                .map_err(|e| e.to_string())?;
            Ok((entry, envelope))
        })
        .collect()
}

fn load_state(path: &PathBuf, verifier: &NoteVerifier) -> Result<Option<Checkpoint>, VerifyError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(VerifyError::State {
                path: path.clone(),
                problem: e.to_string(),
            });
        }
    };
    Checkpoint::open(&text, verifier)
        .map(Some)
        .map_err(|e| VerifyError::State {
            path: path.clone(),
            problem: format!("not a checkpoint signed by this log: {e}"),
        })
}

/// Writes an auditor's state file (the checkpoint `verify` remembers, the
/// monitor's position): its folder made if needed, written beside it and
/// renamed over it, so a crash never leaves half a file.
pub fn save_state(path: &PathBuf, contents: &str) -> Result<(), VerifyError> {
    let fail = |e: std::io::Error| VerifyError::State {
        path: path.clone(),
        problem: e.to_string(),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)?;
    Ok(())
}
