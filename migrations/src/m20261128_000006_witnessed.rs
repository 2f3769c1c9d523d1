//! The log's witnessed checkpoints: each checkpoint whose cosignatures
//! satisfied the witness policy, with those cosignatures. Append-only,
//! like the log itself: a published checkpoint is never taken back.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = r#"
CREATE TABLE witnessed_checkpoints (
    tree_size    INTEGER PRIMARY KEY NOT NULL CHECK (tree_size >= 0),
    root_hash    BLOB NOT NULL CHECK (length(root_hash) = 32),
    note         TEXT NOT NULL,
    witnessed_at TEXT NOT NULL
);
CREATE TRIGGER witnessed_checkpoints_no_update BEFORE UPDATE ON witnessed_checkpoints
BEGIN SELECT RAISE(ABORT, 'prasasti: witnessed checkpoints are append-only'); END;
CREATE TRIGGER witnessed_checkpoints_no_delete BEFORE DELETE ON witnessed_checkpoints
BEGIN SELECT RAISE(ABORT, 'prasasti: witnessed checkpoints are append-only'); END;
CREATE TRIGGER witnessed_checkpoints_no_replace BEFORE INSERT ON witnessed_checkpoints
WHEN EXISTS (SELECT 1 FROM witnessed_checkpoints WHERE tree_size = NEW.tree_size)
BEGIN SELECT RAISE(ABORT, 'prasasti: witnessed checkpoints are append-only'); END;
"#;

const POSTGRES: &str = r#"
CREATE TABLE witnessed_checkpoints (
    tree_size    BIGINT PRIMARY KEY CHECK (tree_size >= 0),
    root_hash    BYTEA NOT NULL CHECK (length(root_hash) = 32),
    note         TEXT NOT NULL,
    witnessed_at TEXT NOT NULL
);
CREATE TRIGGER witnessed_checkpoints_append_only BEFORE UPDATE OR DELETE ON witnessed_checkpoints
FOR EACH ROW EXECUTE FUNCTION prasasti_refuse_change();
CREATE TRIGGER witnessed_checkpoints_no_truncate BEFORE TRUNCATE ON witnessed_checkpoints
FOR EACH STATEMENT EXECUTE FUNCTION prasasti_refuse_change();
ALTER TABLE witnessed_checkpoints ENABLE ALWAYS TRIGGER witnessed_checkpoints_append_only;
ALTER TABLE witnessed_checkpoints ENABLE ALWAYS TRIGGER witnessed_checkpoints_no_truncate;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::for_backend(manager, SQLITE, POSTGRES).await
    }
}
