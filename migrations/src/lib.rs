//! Database schema of prasasti, for SQLite and PostgreSQL.
//!
//! Written as plain SQL per backend: the log's tables are few, their types
//! matter (BLOB/BYTEA hashes, 64-bit indices), and the append-only triggers
//! have no portable spelling.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_log;
mod m20261128_000002_governance;
mod m20261128_000003_insert_guards;
mod m20261128_000004_drafts;
mod m20261128_000005_witness;
mod m20261128_000006_witnessed;

/// Runs the SQL written for the connection's backend.
async fn for_backend(
    manager: &SchemaManager<'_>,
    sqlite: &str,
    postgres: &str,
) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
    let sql = match manager.get_database_backend() {
        DbBackend::Sqlite => sqlite,
        DbBackend::Postgres => postgres,
        other => {
            return Err(DbErr::Migration(format!(
                "unsupported database backend {other:?}"
            )));
        }
    };
    manager.get_connection().execute_unprepared(sql).await?;
    Ok(())
}

/// Every migration, oldest first.
///
/// ```
/// use migration::{Migrator, MigratorTrait};
/// let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
/// assert_eq!(names[0], "m20261128_000001_log");
/// ```
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_log::Migration),
            Box::new(m20261128_000002_governance::Migration),
            Box::new(m20261128_000003_insert_guards::Migration),
            Box::new(m20261128_000004_drafts::Migration),
            Box::new(m20261128_000005_witness::Migration),
            Box::new(m20261128_000006_witnessed::Migration),
        ]
    }
}
