//! The governance projection: the state folded from the log, one row per
//! object, rewritten in the same transaction as each append. Unlike the log
//! it is mutable: it can always be rebuilt from the entries.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = r#"
CREATE TABLE governance_objects (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    body       TEXT NOT NULL,
    last_index INTEGER NOT NULL CHECK (last_index >= 0),
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX governance_objects_last_index ON governance_objects (last_index);
CREATE TABLE governance_head (
    one       INTEGER PRIMARY KEY NOT NULL CHECK (one = 1),
    tree_size INTEGER NOT NULL CHECK (tree_size >= 0)
);
"#;

const POSTGRES: &str = r#"
CREATE TABLE governance_objects (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    body       TEXT NOT NULL,
    last_index BIGINT NOT NULL CHECK (last_index >= 0),
    PRIMARY KEY (kind, id)
);
CREATE INDEX governance_objects_last_index ON governance_objects (last_index);
CREATE TABLE governance_head (
    one       SMALLINT PRIMARY KEY CHECK (one = 1),
    tree_size BIGINT NOT NULL CHECK (tree_size >= 0)
);
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::for_backend(manager, SQLITE, POSTGRES).await
    }
}
