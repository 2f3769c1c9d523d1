//! Where an audit reads the log: a server or a mirror through the
//! tlog-tiles layout, or the ledger's database directly; entries come a
//! tile at a time, read ahead of the checks.

use std::path::PathBuf;

use tokio::sync::mpsc;

use super::VerifyError;
use crate::ledger::http;
use crate::store::Store;
use crate::tlog::hash::Hash;
use crate::tlog::tile::{self, TILE_WIDTH, Tile, TileKind};

/// Where the audited log comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A prasasti server, read through its checkpoint and entry tiles.
    Server {
        /// Base URL, such as `http://127.0.0.1:8080`.
        base: String,
    },
    /// The ledger's database, read directly.
    Database(Store),
    /// A mirror of a log in the tlog-tiles layout (`prasasti mirror`): its
    /// `checkpoint` and `tile/…` files, read offline.
    Mirror(PathBuf),
}

impl Source {
    /// Reads a path of the tlog-tiles layout, such as `checkpoint` or
    /// `tile/entries/000`, from a server or a mirror.
    pub async fn read(&self, path: &str) -> Result<Vec<u8>, VerifyError> {
        match self {
            Source::Server { base } => http::get(&format!("{base}/{path}")).await,
            Source::Mirror(dir) => tokio::fs::read(dir.join(path))
                .await
                .map_err(|e| VerifyError::Fetch(format!("{}: {e}", dir.join(path).display()))),
            Source::Database(_) => Err(VerifyError::Fetch(format!(
                "{path}: a database is not read by path"
            ))),
        }
    }
}

/// One tile's worth of entries, fetched.
pub(super) struct Chunk {
    pub(super) start: u64,
    pub(super) bodies: Vec<Vec<u8>>,
    pub(super) stored_leaves: Option<Vec<Hash>>,
}

/// The checkpoint to audit: the server's published one, or the database's
/// newest (newest witnessed, when `witnessed`).
pub(super) async fn fetch_checkpoint(
    source: &Source,
    witnessed: bool,
) -> Result<String, VerifyError> {
    match source {
        Source::Server { .. } | Source::Mirror(_) => {
            source.read("checkpoint").await.and_then(|b| {
                String::from_utf8(b).map_err(|_| VerifyError::Checkpoint("not UTF-8".into()))
            })
        }
        Source::Database(store) => {
            let newest = if witnessed {
                store.latest_witnessed_checkpoint().await
            } else {
                store.latest_checkpoint().await
            };
            newest
                .map_err(|e| VerifyError::Fetch(e.to_string()))?
                .map(|c| c.note)
                .ok_or_else(|| {
                    VerifyError::Checkpoint(if witnessed {
                        "the database has no witnessed checkpoint".into()
                    } else {
                        "the database has no checkpoint".into()
                    })
                })
        }
    }
}

/// The bodies of entries `start..end` (read tile by tile).
pub async fn read_entries(
    source: &Source,
    start: u64,
    end: u64,
) -> Result<Vec<Vec<u8>>, VerifyError> {
    let mut bodies = Vec::new();
    let mut at = start - start % TILE_WIDTH;
    while at < end {
        let width = (end - at).min(TILE_WIDTH);
        let chunk = fetch_chunk(source, at, width).await?;
        let skip = start.saturating_sub(at) as usize;
        bodies.extend(chunk.bodies.into_iter().skip(skip));
        at += width;
    }
    Ok(bodies)
}

/// Reads the log tile by tile, ahead of the verification.
pub(super) async fn fetch_chunks(
    source: Source,
    size: u64,
    tx: mpsc::Sender<Result<Chunk, VerifyError>>,
) {
    let mut start = 0;
    while start < size {
        let width = (size - start).min(TILE_WIDTH);
        let chunk = fetch_chunk(&source, start, width).await;
        let failed = chunk.is_err();
        if tx.send(chunk).await.is_err() || failed {
            return;
        }
        start += width;
    }
}

async fn fetch_chunk(source: &Source, start: u64, width: u64) -> Result<Chunk, VerifyError> {
    match source {
        Source::Server { .. } | Source::Mirror(_) => {
            let index = start / TILE_WIDTH;
            let tile = Tile {
                kind: TileKind::Entries,
                index,
                width: width as u16,
            };
            let bytes = source.read(&tile.to_string()).await?;
            let bodies = tile::decode_entry_bundle(&bytes)
                .map_err(|e| VerifyError::Fetch(format!("{tile}: {e}")))?;
            if bodies.len() as u64 != width {
                return Err(VerifyError::Fetch(format!(
                    "{tile} holds {} entries, not {width}",
                    bodies.len()
                )));
            }
            // The leaf hashes the server's tree holds, to say which entry
            // differs from them rather than only that the chain broke.
            let hash_tile = Tile {
                kind: TileKind::Hashes { level: 0 },
                index,
                width: width as u16,
            };
            let bytes = source.read(&hash_tile.to_string()).await?;
            if bytes.len() as u64 != width * 32 {
                return Err(VerifyError::Fetch(format!(
                    "{hash_tile} holds {} bytes, not {}",
                    bytes.len(),
                    width * 32
                )));
            }
            let leaves = bytes
                .chunks(32)
                .map(|c| Hash::from_slice(c).expect("32-byte chunks"))
                .collect();
            Ok(Chunk {
                start,
                bodies,
                stored_leaves: Some(leaves),
            })
        }
        Source::Database(store) => {
            let rows = store
                .entries(start, width)
                .await
                .map_err(|e| VerifyError::Fetch(e.to_string()))?;
            for (offset, row) in rows.iter().enumerate() {
                if row.index != start + offset as u64 {
                    return Err(VerifyError::Entry {
                        index: start + offset as u64,
                        problem: "missing from the database".into(),
                    });
                }
            }
            if rows.len() as u64 != width {
                return Err(VerifyError::Entry {
                    index: start + rows.len() as u64,
                    problem: "missing from the database".into(),
                });
            }
            let stored_leaves = rows.iter().map(|r| r.leaf_hash).collect();
            Ok(Chunk {
                start,
                bodies: rows.into_iter().map(|r| r.body).collect(),
                stored_leaves: Some(stored_leaves),
            })
        }
    }
}
