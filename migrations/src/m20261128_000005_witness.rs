//! A witness's state: for each log it witnesses, the checkpoint it last
//! cosigned. A row only ever moves forward (a larger size, or the same
//! size and root); the database refuses a row that would go back.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = r#"
CREATE TABLE witness_heads (
    origin     TEXT PRIMARY KEY NOT NULL,
    size       INTEGER NOT NULL CHECK (size >= 0),
    root       TEXT NOT NULL,
    checkpoint TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TRIGGER witness_heads_forward BEFORE UPDATE ON witness_heads
WHEN NEW.size < OLD.size OR (NEW.size = OLD.size AND NEW.root <> OLD.root) OR NEW.origin <> OLD.origin
BEGIN SELECT RAISE(ABORT, 'a witness never goes back'); END;
CREATE TRIGGER witness_heads_kept BEFORE DELETE ON witness_heads
BEGIN SELECT RAISE(ABORT, 'a witness never forgets'); END;
"#;

const POSTGRES: &str = r#"
CREATE TABLE witness_heads (
    origin     TEXT PRIMARY KEY,
    size       BIGINT NOT NULL CHECK (size >= 0),
    root       TEXT NOT NULL,
    checkpoint TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE FUNCTION witness_heads_forward() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a witness never forgets';
    END IF;
    IF NEW.size < OLD.size OR (NEW.size = OLD.size AND NEW.root <> OLD.root) OR NEW.origin <> OLD.origin THEN
        RAISE EXCEPTION 'a witness never goes back';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER witness_heads_forward BEFORE UPDATE OR DELETE ON witness_heads
FOR EACH ROW EXECUTE FUNCTION witness_heads_forward();
ALTER TABLE witness_heads ENABLE ALWAYS TRIGGER witness_heads_forward;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::for_backend(manager, SQLITE, POSTGRES).await
    }
}
