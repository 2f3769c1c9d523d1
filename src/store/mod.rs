//! Storage of the log in SQLite or PostgreSQL: sea-orm entities, reads, and
//! the append transaction. It knows SQL and locking, not the ledger's rules:
//! what goes into a row is decided by [`crate::ledger`].

mod append;
mod drafts;
pub mod entities;
mod witness;

pub use self::append::{AppendTx, BatchWrite};
pub use self::drafts::{DraftFilter, DraftRow};
pub use self::witness::WitnessHead;

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectOptions, ConnectionTrait, Database,
    DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

use self::entities::{checkpoint, entry, governance_head, governance_object, meta, tree_node};
use crate::tlog::hash::{Hash, NodeId};

/// A storage failure. Carries the database's own error for the logs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed an operation.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// A stored value is not what the schema promises (for example a hash
    /// that is not 32 bytes): the database was changed behind our back.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// This database cannot do what was asked (the caller should have
    /// asked first).
    #[error("not on this database: {0}")]
    Unsupported(&'static str),
    /// The database URL is not one prasasti can use.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
}

impl StoreError {
    /// Whether retrying the whole transaction may succeed: a serialization
    /// failure or deadlock on PostgreSQL, a busy or locked database on SQLite,
    /// or a lost race on a unique key.
    pub fn is_retryable(&self) -> bool {
        let StoreError::Db(err) = self else {
            return false;
        };
        if is_unique_violation(err) {
            return true;
        }
        let text = err.to_string();
        [
            "40001",
            "40P01",
            "database is locked",
            "database table is locked",
            "SQLITE_BUSY",
            "(code: 5)",
            "(code: 517)",
            "(code: 6)",
        ]
        .iter()
        .any(|needle| text.contains(needle))
    }
}

/// Whether the database refused a row for a taken unique key.
fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Inserts a row; `false` when its unique key is already taken.
async fn insert_new<A>(db: &DatabaseConnection, row: A) -> Result<bool, StoreError>
where
    A: sea_orm::ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    match <A::Entity as EntityTrait>::insert(row).exec(db).await {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The last entry of the log, as an append needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// Number of entries.
    pub size: u64,
    /// Leaf hash of the last entry.
    pub last_leaf: Hash,
    /// `recorded_at` of the last entry.
    pub last_recorded_at: String,
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    /// Position in the log.
    pub index: u64,
    /// The statement `id`.
    pub statement_id: String,
    /// SHA-256 of the envelope's canonical JSON.
    pub digest: Hash,
    /// Merkle leaf hash as stored.
    pub leaf_hash: Hash,
    /// The leaf bytes.
    pub body: Vec<u8>,
}

/// A stored signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// Tree size it covers.
    pub tree_size: u64,
    /// Root hash at that size.
    pub root: Hash,
    /// The signed note.
    pub note: String,
    /// When it was signed.
    pub signed_at: String,
}

/// An entry about to be appended.
#[derive(Clone, Debug)]
pub struct NewEntry {
    /// Its index.
    pub index: u64,
    /// The statement `id`.
    pub statement_id: String,
    /// SHA-256 of the envelope's canonical JSON.
    pub digest: Hash,
    /// Its leaf hash.
    pub leaf_hash: Hash,
    /// Its `recorded_at`.
    pub recorded_at: String,
    /// The leaf bytes.
    pub body: Vec<u8>,
}

/// One object of a projection of the log (the governance state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectedObject {
    /// Its collection.
    pub kind: String,
    /// Its id within the collection.
    pub id: String,
    /// Its JSON.
    pub body: String,
    /// Index of the last entry that changed it.
    pub last_index: u64,
}

/// What a batch changed in the projection: the objects it changed and how
/// many entries the projection covers with it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectionChanges {
    /// Entries folded into the projection after the batch.
    pub tree_size: u64,
    /// The objects the batch changed.
    pub objects: Vec<ProjectedObject>,
}

/// A whole projection: the objects and how many entries they cover.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Projection {
    /// Entries folded into it; `None` when none was ever written.
    pub tree_size: Option<u64>,
    /// Every object.
    pub objects: Vec<ProjectedObject>,
}

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// The ledger's database.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
}

/// Advisory-lock key serializing appends on PostgreSQL ("prasasti" in ASCII).
const APPEND_LOCK: i64 = 0x7072_6173_6173_7469;
/// Advisory-lock key serializing migrations on PostgreSQL.
const MIGRATE_LOCK: i64 = APPEND_LOCK + 1;
/// Most rows in one INSERT, well under both backends' bind-parameter limits.
const INSERT_CHUNK: usize = 1000;
/// How long a SQLite connection waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// SQLite's page cache a connection may fill, in KiB (as `cache_size`
/// takes it: negative). The default 2 MiB stops holding the indexes an
/// append looks up (statement ids, projection rows) after some 50,000
/// entries, and appending then costs more as the log grows (README,
/// "Measured"). It fills only with pages read.
const SQLITE_CACHE_KIB: &str = "-65536";

fn hash_from(bytes: &[u8], what: &str) -> Result<Hash, StoreError> {
    Hash::from_slice(bytes)
        .map_err(|_| StoreError::Corrupt(format!("{what} is {} bytes, not 32", bytes.len())))
}

fn index_from(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} is negative")))
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).expect("log positions stay below 2^53")
}

impl StoredEntry {
    fn from_model(m: entry::Model) -> Result<StoredEntry, StoreError> {
        Ok(StoredEntry {
            index: index_from(m.idx, "entry index")?,
            digest: hash_from(&m.digest, "entry digest")?,
            leaf_hash: hash_from(&m.leaf_hash, "leaf hash")?,
            statement_id: m.statement_id,
            body: m.body,
        })
    }
}

impl StoredCheckpoint {
    fn from_model(m: checkpoint::Model) -> Result<StoredCheckpoint, StoreError> {
        Ok(StoredCheckpoint {
            tree_size: index_from(m.tree_size, "checkpoint size")?,
            root: hash_from(&m.root_hash, "checkpoint root")?,
            note: m.note,
            signed_at: m.signed_at,
        })
    }
}

/// Reads shared by [`Store`] and [`AppendTx`].
async fn read_nodes<C: ConnectionTrait>(
    db: &C,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, Hash>, StoreError> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(200) {
        let mut cond = Condition::any();
        for id in chunk {
            cond = cond.add(
                Condition::all()
                    .add(tree_node::Column::Level.eq(i16::from(id.level)))
                    .add(tree_node::Column::Idx.eq(to_i64(id.index))),
            );
        }
        for m in tree_node::Entity::find().filter(cond).all(db).await? {
            let id = NodeId::new(
                u8::try_from(m.level).map_err(|_| StoreError::Corrupt("node level".into()))?,
                index_from(m.idx, "node index")?,
            );
            out.insert(id, hash_from(&m.hash, "node hash")?);
        }
    }
    Ok(out)
}

async fn read_entries<C: ConnectionTrait>(
    db: &C,
    start: u64,
    limit: u64,
) -> Result<Vec<StoredEntry>, StoreError> {
    entry::Entity::find()
        .filter(entry::Column::Idx.gte(to_i64(start)))
        .filter(entry::Column::Idx.lt(to_i64(start.saturating_add(limit))))
        .order_by_asc(entry::Column::Idx)
        .all(db)
        .await?
        .into_iter()
        .map(StoredEntry::from_model)
        .collect()
}

async fn read_head<C: ConnectionTrait>(db: &C) -> Result<Option<Head>, StoreError> {
    let last = entry::Entity::find()
        .select_only()
        .columns([
            entry::Column::Idx,
            entry::Column::LeafHash,
            entry::Column::RecordedAt,
        ])
        .order_by_desc(entry::Column::Idx)
        .limit(1)
        .into_tuple::<(i64, Vec<u8>, String)>()
        .one(db)
        .await?;
    last.map(|(idx, leaf, recorded_at)| {
        Ok(Head {
            size: index_from(idx, "entry index")? + 1,
            last_leaf: hash_from(&leaf, "leaf hash")?,
            last_recorded_at: recorded_at,
        })
    })
    .transpose()
}

impl Store {
    /// Opens the database at `url` (`sqlite://PATH` or `postgres://…`),
    /// creating a SQLite file if needed, and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let store = Store::open(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens the database without touching its schema.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .max_connections(16)
            .min_connections(1);
        if backend == Backend::Sqlite {
            // A SQLite connection is a file in this process: nothing can
            // break it between uses, so taking one from the pool needs no
            // ping (a round trip to its thread, before every transaction).
            options.test_before_acquire(false);
            // Every pooled connection gets the same pragmas: sqlx applies
            // these options to each connection it opens.
            SqliteConnectOptions::from_str(url)
                .map_err(|_| StoreError::UnsupportedUrl(url.to_owned()))?;
            options.map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .pragma("cache_size", SQLITE_CACHE_KIB)
            });
        }
        let db = Database::connect(options).await?;
        Ok(Store { db, backend })
    }

    /// Runs the migrations in `migrations/`. On PostgreSQL an advisory lock
    /// keeps two servers starting together from racing.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => Migrator::up(&self.db, None).await?,
            Backend::Postgres => {
                let tx = self.db.begin().await?;
                tx.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_advisory_xact_lock($1)",
                    [MIGRATE_LOCK.into()],
                ))
                .await?;
                Migrator::up(&tx, None).await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The underlying connection, for tests and tools that need raw SQL.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// A ledger fact, such as its origin.
    pub async fn meta(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(meta::Entity::find_by_id(name.to_owned())
            .one(&self.db)
            .await?
            .map(|m| m.value))
    }

    /// Records a ledger fact unless it is already there; returns the stored value.
    pub async fn meta_or_insert(&self, name: &str, value: &str) -> Result<String, StoreError> {
        if let Some(existing) = self.meta(name).await? {
            return Ok(existing);
        }
        let row = meta::ActiveModel {
            name: Set(name.to_owned()),
            value: Set(value.to_owned()),
        };
        match meta::Entity::insert(row).exec(&self.db).await {
            Ok(_) => Ok(value.to_owned()),
            // Another server recorded it first (a unique key or, on SQLite,
            // the append-only insert guard refused ours): theirs stands.
            Err(e) => self.meta(name).await?.ok_or(StoreError::Db(e)),
        }
    }

    /// The last entry, or `None` for an empty log.
    pub async fn head(&self) -> Result<Option<Head>, StoreError> {
        read_head(&self.db).await
    }

    /// The newest checkpoint.
    pub async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        checkpoint::Entity::find()
            .order_by_desc(checkpoint::Column::TreeSize)
            .one(&self.db)
            .await?
            .map(StoredCheckpoint::from_model)
            .transpose()
    }

    /// The checkpoint of exactly `size`, if one was issued.
    pub async fn checkpoint(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        checkpoint::Entity::find_by_id(to_i64(size))
            .one(&self.db)
            .await?
            .map(StoredCheckpoint::from_model)
            .transpose()
    }

    /// Every checkpoint issued, oldest first.
    pub async fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        checkpoint::Entity::find()
            .order_by_asc(checkpoint::Column::TreeSize)
            .all(&self.db)
            .await?
            .into_iter()
            .map(StoredCheckpoint::from_model)
            .collect()
    }

    /// One entry.
    pub async fn entry(&self, index: u64) -> Result<Option<StoredEntry>, StoreError> {
        entry::Entity::find_by_id(to_i64(index))
            .one(&self.db)
            .await?
            .map(StoredEntry::from_model)
            .transpose()
    }

    /// The entries at `indexes` that exist, in index order (one query).
    pub async fn entries_at(&self, indexes: &[u64]) -> Result<Vec<StoredEntry>, StoreError> {
        entry::Entity::find()
            .filter(entry::Column::Idx.is_in(indexes.iter().map(|i| to_i64(*i))))
            .order_by_asc(entry::Column::Idx)
            .all(&self.db)
            .await?
            .into_iter()
            .map(StoredEntry::from_model)
            .collect()
    }

    /// Up to `limit` entries from `start`, in index order.
    pub async fn entries(&self, start: u64, limit: u64) -> Result<Vec<StoredEntry>, StoreError> {
        read_entries(&self.db, start, limit).await
    }

    /// The entry holding statement `id`, if any.
    pub async fn entry_by_statement(&self, id: &str) -> Result<Option<StoredEntry>, StoreError> {
        entry::Entity::find()
            .filter(entry::Column::StatementId.eq(id))
            .one(&self.db)
            .await?
            .map(StoredEntry::from_model)
            .transpose()
    }

    /// Stored subtree hashes by identifier; missing ones are absent.
    pub async fn nodes(&self, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>, StoreError> {
        read_nodes(&self.db, ids).await
    }

    /// The consecutive hashes of one tree level, for a hash tile.
    pub async fn level_hashes(
        &self,
        level: u8,
        range: std::ops::Range<u64>,
    ) -> Result<Vec<Hash>, StoreError> {
        let rows = tree_node::Entity::find()
            .filter(tree_node::Column::Level.eq(i16::from(level)))
            .filter(tree_node::Column::Idx.gte(to_i64(range.start)))
            .filter(tree_node::Column::Idx.lt(to_i64(range.end)))
            .order_by_asc(tree_node::Column::Idx)
            .all(&self.db)
            .await?;
        let expected = range.end - range.start;
        if rows.len() as u64 != expected {
            return Err(StoreError::Corrupt(format!(
                "level {level} hashes {range:?}: {} stored, {expected} expected",
                rows.len()
            )));
        }
        rows.iter()
            .map(|m| hash_from(&m.hash, "node hash"))
            .collect()
    }

    /// The stored projection, read in one transaction so objects and size agree.
    pub async fn projection(&self) -> Result<Projection, StoreError> {
        let tx = self.db.begin().await?;
        let tree_size = governance_head::Entity::find_by_id(1i16)
            .one(&tx)
            .await?
            .map(|h| index_from(h.tree_size, "projection size"))
            .transpose()?;
        let objects = governance_object::Entity::find()
            .order_by_asc(governance_object::Column::Kind)
            .order_by_asc(governance_object::Column::Id)
            .all(&tx)
            .await?
            .into_iter()
            .map(|m| {
                Ok(ProjectedObject {
                    last_index: index_from(m.last_index, "object index")?,
                    kind: m.kind,
                    id: m.id,
                    body: m.body,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        tx.commit().await?;
        Ok(Projection { tree_size, objects })
    }

    /// Begins an append: takes the log's write lock (`BEGIN IMMEDIATE` on
    /// SQLite, a transaction-scoped advisory lock on PostgreSQL), so that the
    /// head read next cannot change until commit.
    pub async fn begin_append(&self) -> Result<AppendTx, StoreError> {
        let tx = match self.backend {
            Backend::Sqlite => {
                self.db
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await?
            }
            Backend::Postgres => {
                let tx = self.db.begin().await?;
                tx.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_advisory_xact_lock($1)",
                    [APPEND_LOCK.into()],
                ))
                .await?;
                tx
            }
        };
        Ok(AppendTx { tx })
    }
}
