//! Drafts: statements waiting for co-signatures at the signing desk. They
//! are not part of the log or of the state hash: a draft is mutable (it
//! gains signatures, is withdrawn, expires) and may be deleted.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &str = r#"
CREATE TABLE drafts (
    id             TEXT PRIMARY KEY NOT NULL,
    statement_id   TEXT NOT NULL,
    statement_type TEXT NOT NULL,
    payload        TEXT NOT NULL,
    signatures     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    missing        TEXT NOT NULL,
    offices        TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'submitted', 'expired', 'withdrawn')),
    entry_index    INTEGER CHECK (entry_index >= 0),
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    version        INTEGER NOT NULL CHECK (version >= 0)
);
CREATE UNIQUE INDEX drafts_pending_statement ON drafts (statement_id) WHERE status = 'pending';
CREATE INDEX drafts_status_expiry ON drafts (status, expires_at);
CREATE INDEX drafts_created_by ON drafts (created_by, status);
"#;

const POSTGRES: &str = r#"
CREATE TABLE drafts (
    id             TEXT PRIMARY KEY,
    statement_id   TEXT NOT NULL,
    statement_type TEXT NOT NULL,
    payload        TEXT NOT NULL,
    signatures     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    missing        TEXT NOT NULL,
    offices        TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'submitted', 'expired', 'withdrawn')),
    entry_index    BIGINT CHECK (entry_index >= 0),
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    version        BIGINT NOT NULL CHECK (version >= 0)
);
CREATE UNIQUE INDEX drafts_pending_statement ON drafts (statement_id) WHERE status = 'pending';
CREATE INDEX drafts_status_expiry ON drafts (status, expires_at);
CREATE INDEX drafts_created_by ON drafts (created_by, status);
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::for_backend(manager, SQLITE, POSTGRES).await
    }
}
