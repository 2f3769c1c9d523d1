//! C2SP tlog-tiles paths and entry bundles (tile height 8).

use std::fmt;

/// log2 of the tile width: every tile spans 8 levels of the tree.
pub const TILE_HEIGHT: u8 = 8;
/// Maximum number of hashes (or entries) in one tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;
/// Largest entry an entry bundle can hold: its length is a `uint16`.
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;

/// What a tile holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TileKind {
    /// Hashes of tree level `8 * level`.
    Hashes {
        /// Tile level (tree level divided by 8).
        level: u8,
    },
    /// The entries themselves.
    Entries,
}

/// One tile: a kind, an index and a width (256 for a full tile).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tile {
    /// What the tile holds.
    pub kind: TileKind,
    /// Position of the tile among those of its level.
    pub index: u64,
    /// Number of hashes or entries in it, 1..=256.
    pub width: u16,
}

/// Why a tile path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed tile path: {0}")]
pub struct TilePathError(pub &'static str);

/// Writes a tile index in 3-digit groups, all but the last prefixed by `x`.
///
/// ```
/// use prasasti::tlog::tile::encode_index;
/// assert_eq!(encode_index(1234067), "x001/x234/067");
/// assert_eq!(encode_index(5), "005");
/// ```
pub fn encode_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

impl Tile {
    /// Whether this tile is full (never changes again).
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// The tree level whose hashes a hash tile holds, or 0 for entries.
    pub fn tree_level(&self) -> u8 {
        match self.kind {
            TileKind::Hashes { level } => level * TILE_HEIGHT,
            TileKind::Entries => 0,
        }
    }

    /// The node (or entry) indices at [`Tile::tree_level`] this tile holds.
    pub fn node_range(&self) -> std::ops::Range<u64> {
        let start = self.index * TILE_WIDTH;
        start..start + u64::from(self.width)
    }

    /// Whether a tree of `size` leaves has every hash of this tile.
    pub fn exists_in(&self, size: u64) -> bool {
        let level = self.tree_level();
        let available = if u32::from(level) >= u64::BITS {
            0
        } else {
            size >> level
        };
        self.node_range().end <= available
    }

    /// Reads the part of a tile URL after `tile/`, such as `0/x001/234.p/5`
    /// or `entries/005`. Only the canonical spelling is accepted.
    pub fn parse_path(path: &str) -> Result<Tile, TilePathError> {
        let (level, rest) = path.split_once('/').ok_or(TilePathError("no level"))?;
        let kind = if level == "entries" {
            TileKind::Entries
        } else {
            let canonical = !level.is_empty()
                && level.bytes().all(|b| b.is_ascii_digit())
                && (level == "0" || !level.starts_with('0'));
            let level: u8 = level
                .parse()
                .ok()
                .filter(|l| canonical && *l < 8)
                .ok_or(TilePathError("the level is a small decimal number"))?;
            TileKind::Hashes { level }
        };
        let (index_path, width) = match rest.split_once(".p/") {
            Some((index, width)) => {
                let w: u16 = width
                    .parse()
                    .ok()
                    .filter(|w: &u16| {
                        *w >= 1 && u64::from(*w) < TILE_WIDTH && width == w.to_string()
                    })
                    .ok_or(TilePathError("a partial width is 1 to 255"))?;
                (index, w)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let mut index: u64 = 0;
        let groups: Vec<&str> = index_path.split('/').collect();
        for (i, group) in groups.iter().enumerate() {
            let digits = if i + 1 < groups.len() {
                group
                    .strip_prefix('x')
                    .ok_or(TilePathError("index groups before the last start with x"))?
            } else {
                group
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(TilePathError("index groups are three digits"));
            }
            let value: u64 = digits.parse().map_err(|_| TilePathError("bad index"))?;
            index = index
                .checked_mul(1000)
                .and_then(|n| n.checked_add(value))
                .ok_or(TilePathError("index too large"))?;
        }
        // Every node a tile can name must have an index: no wrapping.
        index
            .checked_mul(TILE_WIDTH)
            .and_then(|start| start.checked_add(TILE_WIDTH))
            .ok_or(TilePathError("index too large"))?;
        let tile = Tile { kind, index, width };
        if tile.path() != path {
            return Err(TilePathError("not the canonical spelling of this tile"));
        }
        Ok(tile)
    }

    /// The path of this tile after `tile/`.
    pub fn path(&self) -> String {
        let level = match self.kind {
            TileKind::Hashes { level } => level.to_string(),
            TileKind::Entries => "entries".to_owned(),
        };
        let mut path = format!("{level}/{}", encode_index(self.index));
        if !self.is_full() {
            path.push_str(&format!(".p/{}", self.width));
        }
        path
    }
}

impl fmt::Display for Tile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tile/{}", self.path())
    }
}

/// Every tile of the tree of `size` entries: the entry bundles and the
/// hash tiles of each level, full ones and the partial one at the end of
/// each level (ordered by level, lowest first, then by index).
pub fn tiles_for(size: u64) -> Vec<Tile> {
    let mut tiles = Vec::new();
    let mut push_level = |kind: TileKind, nodes: u64| {
        for index in 0..nodes.div_ceil(TILE_WIDTH) {
            let width = (nodes - index * TILE_WIDTH).min(TILE_WIDTH) as u16;
            tiles.push(Tile { kind, index, width });
        }
    };
    push_level(TileKind::Entries, size);
    let mut level = 0u8;
    while level < 8 {
        let nodes = size >> (u32::from(level) * u32::from(TILE_HEIGHT));
        if nodes == 0 {
            break;
        }
        push_level(TileKind::Hashes { level }, nodes);
        level += 1;
    }
    tiles
}

/// Why an entry bundle could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// An entry is longer than a `uint16` length can say.
    #[error("entry of {0} bytes is over the 65,535-byte limit of entry bundles")]
    EntryTooLarge(usize),
    /// The bundle ends in the middle of an entry.
    #[error("the entry bundle is truncated")]
    Truncated,
}

/// Writes entries as an entry bundle: each one prefixed by its length as a
/// big-endian `uint16`.
pub fn encode_entry_bundle<'a>(
    entries: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<u8>, BundleError> {
    let mut out = Vec::new();
    for entry in entries {
        let len =
            u16::try_from(entry.len()).map_err(|_| BundleError::EntryTooLarge(entry.len()))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// Reads an entry bundle back into its entries.
pub fn decode_entry_bundle(mut bytes: &[u8]) -> Result<Vec<Vec<u8>>, BundleError> {
    let mut entries = Vec::new();
    while !bytes.is_empty() {
        let [hi, lo, rest @ ..] = bytes else {
            return Err(BundleError::Truncated);
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if rest.len() < len {
            return Err(BundleError::Truncated);
        }
        entries.push(rest[..len].to_vec());
        bytes = &rest[len..];
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_encoding_matches_the_specification() {
        assert_eq!(encode_index(1234067), "x001/x234/067");
        assert_eq!(encode_index(5), "005");
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(1000), "x001/000");
    }

    #[test]
    fn the_tiles_of_a_tree_are_all_there_and_all_exist() {
        assert!(tiles_for(0).is_empty());
        let paths: Vec<String> = tiles_for(70_000).iter().map(Tile::to_string).collect();
        // 273 full bundles and one of 112; level 0 the same; level 1: 273
        // nodes, one full tile and one of 17; level 2: one node.
        assert_eq!(paths.len(), 274 + 274 + 2 + 1);
        assert!(paths.contains(&"tile/entries/273.p/112".to_owned()));
        assert!(paths.contains(&"tile/0/272".to_owned()));
        assert!(paths.contains(&"tile/1/001.p/17".to_owned()));
        assert_eq!(paths.last().unwrap(), "tile/2/000.p/1");
        for size in [1, 255, 256, 257, 65_536, 70_000] {
            for tile in tiles_for(size) {
                assert!(tile.exists_in(size), "{tile} in {size}");
            }
        }
    }

    #[test]
    fn indices_whose_nodes_overflow_are_refused() {
        // 72057594037927935 * 256 fits in u64 but the tile's end does not;
        // the next index would wrap to tile 0.
        for path in [
            "0/x072/x057/x594/x037/x927/935",
            "0/x072/x057/x594/x037/x927/936",
            "entries/x999/x999/x999/x999/x999/x999/999",
        ] {
            assert!(Tile::parse_path(path).is_err(), "{path}");
        }
        assert!(Tile::parse_path("0/x072/x057/x594/x037/x927/934").is_ok());
    }

    #[test]
    fn paths_round_trip_and_only_canonical_spellings_parse() {
        for path in [
            "0/000",
            "1/x001/x234/067.p/5",
            "entries/005",
            "entries/x001/000.p/255",
        ] {
            assert_eq!(Tile::parse_path(path).unwrap().path(), path);
        }
        for bad in [
            "0/5",
            "00/000",
            "0/000.p/256",
            "0/000.p/0",
            "0/000.p/05",
            "0/x000/005",
            "0/001/005",
            "8/000",
            "entries",
            "0/x001",
            "-1/000",
            "0/000/",
        ] {
            assert!(Tile::parse_path(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn tiles_exist_only_for_complete_hashes() {
        let t = Tile {
            kind: TileKind::Hashes { level: 0 },
            index: 0,
            width: 5,
        };
        assert!(t.exists_in(5));
        assert!(!t.exists_in(4));
        let t1 = Tile {
            kind: TileKind::Hashes { level: 1 },
            index: 0,
            width: 1,
        };
        assert!(!t1.exists_in(255));
        assert!(t1.exists_in(256));
    }

    #[test]
    fn entry_bundles_round_trip() {
        let entries: Vec<&[u8]> = vec![b"a", b"", b"hello"];
        let bundle = encode_entry_bundle(entries.iter().copied()).unwrap();
        assert_eq!(bundle, b"\x00\x01a\x00\x00\x00\x05hello");
        assert_eq!(
            decode_entry_bundle(&bundle).unwrap(),
            vec![b"a".to_vec(), vec![], b"hello".to_vec()]
        );
        assert_eq!(
            decode_entry_bundle(b"\x00\x05abc"),
            Err(BundleError::Truncated)
        );
    }
}
