//! The log: entries, stored Merkle subtree hashes, signed checkpoints and
//! ledger metadata, all append-only at the database level.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = r#"
CREATE TABLE ledger_meta (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
CREATE TABLE entries (
    idx          INTEGER PRIMARY KEY NOT NULL CHECK (idx >= 0),
    statement_id TEXT NOT NULL UNIQUE,
    digest       BLOB NOT NULL CHECK (length(digest) = 32),
    leaf_hash    BLOB NOT NULL CHECK (length(leaf_hash) = 32),
    recorded_at  TEXT NOT NULL,
    body         BLOB NOT NULL
);
CREATE TABLE tree_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE checkpoints (
    tree_size  INTEGER PRIMARY KEY NOT NULL CHECK (tree_size >= 0),
    root_hash  BLOB NOT NULL CHECK (length(root_hash) = 32),
    note       TEXT NOT NULL,
    signed_at  TEXT NOT NULL
);
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'prasasti: entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'prasasti: entries are append-only'); END;
CREATE TRIGGER tree_nodes_no_update BEFORE UPDATE ON tree_nodes
BEGIN SELECT RAISE(ABORT, 'prasasti: tree hashes are append-only'); END;
CREATE TRIGGER tree_nodes_no_delete BEFORE DELETE ON tree_nodes
BEGIN SELECT RAISE(ABORT, 'prasasti: tree hashes are append-only'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'prasasti: checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'prasasti: checkpoints are append-only'); END;
CREATE TRIGGER ledger_meta_no_update BEFORE UPDATE ON ledger_meta
BEGIN SELECT RAISE(ABORT, 'prasasti: ledger metadata is append-only'); END;
CREATE TRIGGER ledger_meta_no_delete BEFORE DELETE ON ledger_meta
BEGIN SELECT RAISE(ABORT, 'prasasti: ledger metadata is append-only'); END;
"#;

const POSTGRES: &str = r#"
CREATE TABLE ledger_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE entries (
    idx          BIGINT PRIMARY KEY CHECK (idx >= 0),
    statement_id TEXT NOT NULL UNIQUE,
    digest       BYTEA NOT NULL CHECK (length(digest) = 32),
    leaf_hash    BYTEA NOT NULL CHECK (length(leaf_hash) = 32),
    recorded_at  TEXT NOT NULL,
    body         BYTEA NOT NULL
);
CREATE TABLE tree_nodes (
    level SMALLINT NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   BIGINT NOT NULL CHECK (idx >= 0),
    hash  BYTEA NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);
CREATE TABLE checkpoints (
    tree_size  BIGINT PRIMARY KEY CHECK (tree_size >= 0),
    root_hash  BYTEA NOT NULL CHECK (length(root_hash) = 32),
    note       TEXT NOT NULL,
    signed_at  TEXT NOT NULL
);
CREATE FUNCTION prasasti_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'prasasti: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
"#;

const APPEND_ONLY_TABLES: [&str; 4] = ["entries", "tree_nodes", "checkpoints", "ledger_meta"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                db.execute_unprepared(SQLITE).await?;
            }
            DbBackend::Postgres => {
                db.execute_unprepared(POSTGRES).await?;
                for table in APPEND_ONLY_TABLES {
                    // ENABLE ALWAYS: the triggers fire even under
                    // session_replication_role = replica.
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} \
                         FOR EACH ROW EXECUTE FUNCTION prasasti_refuse_change();
                         CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} \
                         FOR EACH STATEMENT EXECUTE FUNCTION prasasti_refuse_change();
                         ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_append_only;
                         ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate;"
                    ))
                    .await?;
                }
            }
            other => {
                return Err(DbErr::Migration(format!(
                    "unsupported database backend {other:?}"
                )));
            }
        }
        Ok(())
    }
}
