//! `prasasti mirror`: a copy of the whole log in the C2SP tlog-tiles layout
//! (`checkpoint`, `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`),
//! verified as it is fetched, that any static web server can serve and that
//! `verify --mirror` and `audit report --mirror` read offline.
//!
//! A run reads the server's published checkpoint, checks it is signed (and
//! witnessed, with a policy) and consistent with the mirror's own, fetches
//! only the tiles the mirror lacks, checks every new tile against the
//! checkpoint's root, and only then replaces the mirror's checkpoint. Tiles
//! are written whole (a temporary file renamed), so an interrupted run
//! leaves the old mirror intact and the next run resumes; a server whose
//! tiles or checkpoint disagree leaves the mirror as it was.

use std::path::Path;

use futures_util::StreamExt as _;

use crate::ledger::verify::{Progress, Source, VerifyError};
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::hash::{Hash, leaf_hash, root_of};
use crate::tlog::note::NoteVerifier;
use crate::tlog::policy::Policy;
use crate::tlog::proof;
use crate::tlog::tile::{self, TILE_WIDTH, Tile, TileKind};

/// How many tiles are fetched at once.
pub const PARALLEL_FETCHES: usize = 8;
/// Where fetched tiles wait, inside the mirror, until they are checked.
const INCOMING: &str = ".incoming";

/// How to mirror.
#[derive(Clone, Debug)]
pub struct MirrorOptions {
    /// The log's key.
    pub verifier: NoteVerifier,
    /// The witness policy the checkpoint must meet, if any.
    pub policy: Option<Policy>,
    /// Told `(tiles fetched, tiles to fetch)`.
    pub progress: Progress,
}

/// What a run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mirrored {
    /// The mirror's size before the run, if it had a checkpoint.
    pub previous: Option<u64>,
    /// Its size now.
    pub size: u64,
    /// Tiles fetched by this run.
    pub fetched: usize,
}

/// Mirrors the log served at `base` into `dir`.
pub async fn mirror(
    base: &str,
    dir: &Path,
    options: &MirrorOptions,
) -> Result<Mirrored, VerifyError> {
    let server = Source::Server {
        base: base.trim_end_matches('/').to_owned(),
    };
    let note = String::from_utf8(server.read("checkpoint").await?)
        .map_err(|_| VerifyError::Checkpoint("not UTF-8".into()))?;
    let new = Checkpoint::open(&note, &options.verifier)
        .map_err(|e| VerifyError::Checkpoint(e.to_string()))?;
    if let Some(policy) = &options.policy {
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
        policy.check(&note, &options.verifier, now)?;
    }
    let old = read_checkpoint(dir, &options.verifier)?;
    if let Some(old) = &old {
        consistent(&server, old, &new).await?;
    }

    // New tiles wait in `.incoming` until all are checked: the tiles in
    // place are always ones a checkpoint of the mirror vouched for.
    let incoming = dir.join(INCOMING);
    let wanted: Vec<Tile> = tile::tiles_for(new.size)
        .into_iter()
        .filter(|t| !dir.join(t.to_string()).exists())
        .collect();
    let missing: Vec<Tile> = wanted
        .iter()
        .copied()
        .filter(|t| !incoming.join(t.to_string()).exists())
        .collect();
    let total = missing.len() as u64;
    options.progress.report(0, total);
    let mut fetches = futures_util::stream::iter(missing.iter().copied())
        .map(|t| {
            let server = &server;
            async move { (t, server.read(&t.to_string()).await) }
        })
        .buffer_unordered(PARALLEL_FETCHES);
    let (mut done, mut failed) = (0, None);
    while let Some((t, bytes)) = fetches.next().await {
        // A fetch that fails leaves every tile that came for the next run.
        match bytes.and_then(|bytes| write_whole(&incoming.join(t.to_string()), &bytes)) {
            Ok(()) => done += 1,
            Err(e) => failed = failed.or(Some(e)),
        }
        options.progress.report(done, total);
    }
    drop(fetches);
    if let Some(e) = failed {
        return Err(e);
    }
    if let Err(e) = check_tiles(dir, &new, &wanted) {
        // Tiles that are not the checkpoint's are not kept.
        let _ = std::fs::remove_dir_all(&incoming);
        return Err(e);
    }
    for t in &wanted {
        let to = dir.join(t.to_string());
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| VerifyError::Fetch(format!("{}: {e}", parent.display())))?;
        }
        std::fs::rename(incoming.join(t.to_string()), &to)
            .map_err(|e| VerifyError::Fetch(format!("{}: {e}", to.display())))?;
    }
    write_whole(&dir.join("checkpoint"), note.as_bytes())?;
    let _ = std::fs::remove_dir_all(&incoming);
    Ok(Mirrored {
        previous: old.map(|o| o.size),
        size: new.size,
        fetched: missing.len(),
    })
}

/// An entry's offline proof from a mirror: the c2sp.org/tlog-proof@v1
/// bundle against the mirror's checkpoint, and the entry's bytes (its
/// canonical JSON), ready for `prasasti check-proof`. Nothing is fetched.
pub fn prove(dir: &Path, index: u64) -> Result<(String, Vec<u8>), VerifyError> {
    let note = std::fs::read_to_string(dir.join("checkpoint"))
        .map_err(|e| VerifyError::Fetch(format!("{}: {e}", dir.join("checkpoint").display())))?;
    let body = note.split_once("\n\n").map(|(text, _)| format!("{text}\n"));
    let size = body
        .and_then(|b| Checkpoint::parse(&b).ok())
        .ok_or_else(|| VerifyError::Checkpoint("the mirror's checkpoint is malformed".into()))?
        .size;
    if index >= size {
        return Err(VerifyError::Entry {
            index,
            problem: format!("the mirror holds {size} entries"),
        });
    }
    let read = |t: &Tile| {
        std::fs::read(dir.join(t.to_string())).map_err(|e| VerifyError::Fetch(format!("{t}: {e}")))
    };
    let mut leaves = Vec::with_capacity(size as usize);
    for t in tile::tiles_for(size)
        .iter()
        .filter(|t| t.kind == TileKind::Hashes { level: 0 })
    {
        leaves.extend(read(t)?.chunks(32).filter_map(|c| Hash::from_slice(c).ok()));
    }
    let hashes = proof::inclusion_ranges(index, size)
        .map_err(|e| VerifyError::Entry {
            index,
            problem: e.to_string(),
        })?
        .into_iter()
        .map(|r| root_of(&leaves[r.start as usize..r.end as usize]))
        .collect();
    let bundle_tile = Tile {
        kind: TileKind::Entries,
        index: index / TILE_WIDTH,
        width: (size - index / TILE_WIDTH * TILE_WIDTH).min(TILE_WIDTH) as u16,
    };
    let bodies = tile::decode_entry_bundle(&read(&bundle_tile)?)
        .map_err(|e| VerifyError::Fetch(format!("{bundle_tile}: {e}")))?;
    let entry = bodies
        .into_iter()
        .nth((index % TILE_WIDTH) as usize)
        .ok_or_else(|| VerifyError::Entry {
            index,
            problem: format!("missing from {bundle_tile}"),
        })?;
    let bundle = crate::tlog::bundle::ProofBundle {
        extra: None,
        index,
        hashes,
        checkpoint: note,
    };
    Ok((bundle.to_text(), entry))
}

/// The mirror's own checkpoint, if it has one; one not signed by the log is
/// an error, never silently replaced.
fn read_checkpoint(dir: &Path, verifier: &NoteVerifier) -> Result<Option<Checkpoint>, VerifyError> {
    let path = dir.join("checkpoint");
    match std::fs::read_to_string(&path) {
        Ok(note) => Checkpoint::open(&note, verifier).map(Some).map_err(|e| {
            VerifyError::Checkpoint(format!(
                "{} is not a checkpoint of this log: {e}",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(VerifyError::Fetch(format!("{}: {e}", path.display()))),
    }
}

/// Checks the server's checkpoint extends the mirror's.
async fn consistent(
    server: &Source,
    old: &Checkpoint,
    new: &Checkpoint,
) -> Result<(), VerifyError> {
    if new.size < old.size {
        return Err(VerifyError::Rollback {
            size: new.size,
            trusted: old.size,
        });
    }
    let forked = || VerifyError::Fork {
        size: old.size,
        computed: new.root,
        trusted: old.root,
    };
    if old.size == 0 {
        return Ok(());
    }
    if old.size == new.size {
        return if old.root == new.root {
            Ok(())
        } else {
            Err(forked())
        };
    }
    let answer = server
        .read(&format!(
            "api/v1/proofs/consistency?old={}&new={}",
            old.size, new.size
        ))
        .await?;
    let hashes: Vec<Hash> = serde_json::from_slice::<serde_json::Value>(&answer)
        .ok()
        .and_then(|v| {
            v.get("hashes")?
                .as_array()?
                .iter()
                .map(|h| h.as_str().and_then(|h| Hash::from_base64(h).ok()))
                .collect()
        })
        .ok_or_else(|| VerifyError::Fetch("the consistency proof is malformed".into()))?;
    proof::verify_consistency(old.size, new.size, &hashes, &old.root, &new.root)
        .map_err(|_| forked())
}

/// Checks the tiles against the checkpoint: the level-0 hashes give its
/// root; every new entry bundle hashes to its level-0 hashes; every new
/// hash tile above holds the roots of the full tiles below it.
fn check_tiles(dir: &Path, checkpoint: &Checkpoint, fetched: &[Tile]) -> Result<(), VerifyError> {
    let read = |t: &Tile| {
        let new = dir.join(INCOMING).join(t.to_string());
        let path = if new.exists() {
            new
        } else {
            dir.join(t.to_string())
        };
        std::fs::read(&path).map_err(|e| VerifyError::Fetch(format!("{t}: {e}")))
    };
    let hashes_of = |t: &Tile| -> Result<Vec<Hash>, VerifyError> {
        let bytes = read(t)?;
        if bytes.len() != usize::from(t.width) * 32 {
            return Err(VerifyError::Entry {
                index: t.node_range().start,
                problem: format!(
                    "{t} holds {} bytes, not {}",
                    bytes.len(),
                    usize::from(t.width) * 32
                ),
            });
        }
        Ok(bytes
            .chunks(32)
            .filter_map(|c| Hash::from_slice(c).ok())
            .collect())
    };
    let level0: Vec<Tile> = tile::tiles_for(checkpoint.size)
        .into_iter()
        .filter(|t| t.kind == TileKind::Hashes { level: 0 })
        .collect();
    let mut leaves = Vec::with_capacity(checkpoint.size as usize);
    for t in &level0 {
        leaves.extend(hashes_of(t)?);
    }
    let computed = root_of(&leaves);
    if computed != checkpoint.root {
        return Err(VerifyError::Root {
            size: checkpoint.size,
            expected: checkpoint.root,
            computed,
        });
    }
    for t in fetched {
        match t.kind {
            TileKind::Entries => {
                let bodies = tile::decode_entry_bundle(&read(t)?)
                    .map_err(|e| VerifyError::Fetch(format!("{t}: {e}")))?;
                let start = t.node_range().start;
                if bodies.len() != usize::from(t.width) {
                    return Err(VerifyError::Entry {
                        index: start,
                        problem: format!("{t} holds {} entries, not {}", bodies.len(), t.width),
                    });
                }
                for (i, body) in bodies.iter().enumerate() {
                    let index = start + i as u64;
                    if leaves.get(index as usize) != Some(&leaf_hash(body)) {
                        return Err(VerifyError::Entry {
                            index,
                            problem: "its bytes are not the leaf the tree holds".into(),
                        });
                    }
                }
            }
            TileKind::Hashes { level } if level > 0 => {
                for (i, hash) in hashes_of(t)?.iter().enumerate() {
                    let below = Tile {
                        kind: TileKind::Hashes { level: level - 1 },
                        index: t.index * TILE_WIDTH + i as u64,
                        width: TILE_WIDTH as u16,
                    };
                    if root_of(&hashes_of(&below)?) != *hash {
                        return Err(VerifyError::Entry {
                            index: below.node_range().start << below.tree_level(),
                            problem: format!("{t} does not hold the root of {below}"),
                        });
                    }
                }
            }
            TileKind::Hashes { .. } => {}
        }
    }
    Ok(())
}

/// Writes a file whole: a temporary file renamed into place.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), VerifyError> {
    let fail = |e: std::io::Error| VerifyError::Fetch(format!("{}: {e}", path.display()));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}
