//! SQLite's `INSERT OR REPLACE` deletes the row it conflicts with without
//! firing DELETE triggers: on SQLite, the append-only tables also refuse an
//! insert whose key is taken. (PostgreSQL has no REPLACE; its `ON CONFLICT
//! DO UPDATE` fires the UPDATE triggers.)

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = r#"
CREATE TRIGGER entries_no_replace BEFORE INSERT ON entries
WHEN EXISTS (SELECT 1 FROM entries WHERE idx = NEW.idx OR statement_id = NEW.statement_id)
BEGIN SELECT RAISE(ABORT, 'prasasti: entries are append-only'); END;
CREATE TRIGGER tree_nodes_no_replace BEFORE INSERT ON tree_nodes
WHEN EXISTS (SELECT 1 FROM tree_nodes WHERE level = NEW.level AND idx = NEW.idx)
BEGIN SELECT RAISE(ABORT, 'prasasti: tree hashes are append-only'); END;
CREATE TRIGGER checkpoints_no_replace BEFORE INSERT ON checkpoints
WHEN EXISTS (SELECT 1 FROM checkpoints WHERE tree_size = NEW.tree_size)
BEGIN SELECT RAISE(ABORT, 'prasasti: checkpoints are append-only'); END;
CREATE TRIGGER ledger_meta_no_replace BEFORE INSERT ON ledger_meta
WHEN EXISTS (SELECT 1 FROM ledger_meta WHERE name = NEW.name)
BEGIN SELECT RAISE(ABORT, 'prasasti: ledger metadata is append-only'); END;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            manager.get_connection().execute_unprepared(SQLITE).await?;
        }
        Ok(())
    }
}
