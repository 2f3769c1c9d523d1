//! The append transaction: taken under the log's write lock, it reads the
//! head and right edge, writes entries, tree hashes, the checkpoint and the
//! projection, and commits.

use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryTrait,
    Statement,
};

use super::*;

/// An open append transaction holding the log's write lock.
pub struct AppendTx {
    pub(super) tx: DatabaseTransaction,
}

impl AppendTx {
    /// The last entry, read under the lock.
    pub async fn head(&self) -> Result<Option<Head>, StoreError> {
        read_head(&self.tx).await
    }

    /// Stored subtree hashes, read under the lock.
    pub async fn nodes(&self, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>, StoreError> {
        read_nodes(&self.tx, ids).await
    }

    /// The last entry, and which of these statement ids are already in the
    /// log (id → (index, digest)), read under the lock in one query.
    pub async fn head_and_statements(
        &self,
        ids: &[&str],
    ) -> Result<(Option<Head>, HashMap<String, (u64, Hash)>), StoreError> {
        use entry::Column::{Digest, Idx, LeafHash, RecordedAt, StatementId};
        use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, UnionType};
        // Each row: 0 with the head's index, leaf hash and time, or 1 with
        // a known statement's index, digest and id.
        let mut chunks = ids.chunks(INSERT_CHUNK);
        let mut query = Query::select()
            .expr(Expr::cust("0"))
            .columns([Idx, LeafHash, RecordedAt])
            .from(entry::Entity)
            .and_where(
                Expr::col(Idx).in_subquery(
                    Query::select()
                        .expr(Func::max(Expr::col(Idx)))
                        .from(entry::Entity)
                        .to_owned(),
                ),
            )
            .to_owned();
        let known = |chunk: &[&str]| {
            Query::select()
                .expr(Expr::cust("1"))
                .columns([Idx, Digest, StatementId])
                .from(entry::Entity)
                .and_where(Expr::col(StatementId).is_in(chunk.iter().copied()))
                .to_owned()
        };
        if let Some(chunk) = chunks.next() {
            query.union(UnionType::All, known(chunk));
        }
        let backend = self.tx.get_database_backend();
        let mut rows = self.tx.query_all_raw(backend.build(&query)).await?;
        for chunk in chunks {
            rows.extend(self.tx.query_all_raw(backend.build(&known(chunk))).await?);
        }
        let mut head = None;
        let mut statements = HashMap::new();
        for row in rows {
            let idx = index_from(row.try_get_by_index::<i64>(1)?, "entry index")?;
            let hash = row.try_get_by_index::<Vec<u8>>(2)?;
            let text = row.try_get_by_index::<String>(3)?;
            if row.try_get_by_index::<i32>(0)? == 0 {
                head = Some(Head {
                    size: idx + 1,
                    last_leaf: hash_from(&hash, "leaf hash")?,
                    last_recorded_at: text,
                });
            } else {
                statements.insert(text, (idx, hash_from(&hash, "entry digest")?));
            }
        }
        Ok((head, statements))
    }

    /// Whether a checkpoint of exactly `size` was issued.
    pub async fn has_checkpoint(&self, size: u64) -> Result<bool, StoreError> {
        Ok(checkpoint::Entity::find_by_id(to_i64(size))
            .one(&self.tx)
            .await?
            .is_some())
    }

    /// Writes a batch, all in one request to the database when the values
    /// allow (see `combine`): one round trip a batch rather than one a
    /// table.
    pub async fn insert(&self, batch: &BatchWrite<'_>) -> Result<(), StoreError> {
        let backend = self.tx.get_database_backend();
        self.execute(batch.statements(backend)).await
    }

    /// Runs statements in order, as few requests as the values allow (see
    /// [`combine`]).
    async fn execute(&self, writes: Vec<Statement>) -> Result<(), StoreError> {
        for request in combine(self.tx.get_database_backend(), writes) {
            self.tx.execute_raw(request).await?;
        }
        Ok(())
    }

    /// Up to `limit` entries from `start`, read under the lock.
    pub async fn entries(&self, start: u64, limit: u64) -> Result<Vec<StoredEntry>, StoreError> {
        read_entries(&self.tx, start, limit).await
    }

    /// Replaces the whole projection with `objects`, covering `tree_size` entries.
    pub async fn replace_projection(
        &self,
        tree_size: u64,
        objects: &[ProjectedObject],
    ) -> Result<(), StoreError> {
        governance_object::Entity::delete_many()
            .exec(&self.tx)
            .await?;
        let mut writes = Vec::new();
        projection_writes(
            self.tx.get_database_backend(),
            tree_size,
            objects,
            &mut writes,
        );
        self.execute(writes).await
    }

    /// Commits; the append is durable when this returns.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Whether this database takes a whole append in one request (see
    /// [`Store::append_at_once`]): SQLite does.
    pub fn appends_at_once(&self) -> bool {
        self.backend == Backend::Sqlite
    }

    /// Appends a batch placed on a head this process already knows, without
    /// reading it: taking the write lock, the writes and the commit go to
    /// SQLite as one list of statements, one hand-off to its thread where
    /// the transaction of [`Store::begin_append`] takes four. If another
    /// process has appended since, the batch's first entry finds its index
    /// taken, nothing is written, and the error says so: the caller then
    /// appends the usual way, reading the head under the lock.
    ///
    /// Only for SQLite ([`Store::appends_at_once`]); elsewhere it writes
    /// nothing and fails.
    pub async fn append_at_once(&self, batch: &BatchWrite<'_>) -> Result<(), StoreError> {
        if !self.appends_at_once() {
            return Err(StoreError::Unsupported(
                "an append in one request needs SQLite",
            ));
        }
        let lite = DbBackend::Sqlite;
        let mut writes = vec![Statement::from_string(lite, "BEGIN IMMEDIATE")];
        writes.extend(batch.statements(lite));
        writes.push(Statement::from_string(lite, "COMMIT"));
        let pool = self.db.get_sqlite_connection_pool();
        let mut writer = Writer {
            conn: pool.acquire().await.map_err(sqlx_error)?,
            open: true,
        };
        let mut outcome = Ok(());
        for request in combine(lite, writes) {
            let values = request.values.unwrap_or(sea_orm::Values(Vec::new()));
            let query = sea_orm::sqlx::query_with(
                sea_orm::sqlx::AssertSqlSafe(request.sql),
                sea_query_sqlx::SqlxValues(values),
            );
            if let Err(e) = query.execute(&mut *writer.conn).await {
                outcome = Err(sqlx_error(e));
                break;
            }
        }
        writer.open = match outcome {
            Ok(()) => false,
            // Whatever failed, the transaction may be open: end it here, or
            // the connection is closed rather than pooled (see `Writer`).
            Err(_) => match sea_orm::sqlx::query("ROLLBACK")
                .execute(&mut *writer.conn)
                .await
            {
                Ok(_) => false,
                // BEGIN itself failed (say, another process held the lock
                // past the busy timeout).
                Err(e) => !e.to_string().contains("no transaction is active"),
            },
        };
        outcome
    }
}

/// A pooled SQLite connection an append in one request runs on. Dropped
/// while its transaction may be open (the append failed and could not roll
/// back, or its future was dropped), it is closed instead of going back to
/// the pool, and SQLite rolls the transaction back.
struct Writer {
    conn: sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::Sqlite>,
    open: bool,
}

impl Drop for Writer {
    fn drop(&mut self) {
        if self.open {
            self.conn.close_on_drop();
        }
    }
}

fn sqlx_error(e: sea_orm::sqlx::Error) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(
        std::sync::Arc::new(e),
    )))
}

/// What one append writes: new entries, their new subtree hashes, the
/// checkpoint covering them, and the projection's changes if any.
pub struct BatchWrite<'a> {
    /// The new entries, in index order.
    pub entries: &'a [NewEntry],
    /// The subtree hashes the entries complete.
    pub nodes: &'a [(NodeId, Hash)],
    /// The checkpoint covering the log with the entries.
    pub checkpoint: &'a StoredCheckpoint,
    /// What the entries changed in the projection.
    pub projection: Option<&'a ProjectionChanges>,
}

impl BatchWrite<'_> {
    /// The statements that write the batch. The entries go first, so a
    /// batch placed on a log that has moved fails at its first statement
    /// (the index is taken).
    fn statements(&self, backend: DbBackend) -> Vec<Statement> {
        let mut writes = Vec::new();
        for chunk in self.entries.chunks(INSERT_CHUNK) {
            let rows = chunk.iter().map(|e| entry::ActiveModel {
                idx: Set(to_i64(e.index)),
                statement_id: Set(e.statement_id.clone()),
                digest: Set(e.digest.0.to_vec()),
                leaf_hash: Set(e.leaf_hash.0.to_vec()),
                recorded_at: Set(e.recorded_at.clone()),
                body: Set(e.body.clone()),
            });
            writes.push(entry::Entity::insert_many(rows).build(backend));
        }
        for chunk in self.nodes.chunks(INSERT_CHUNK) {
            let rows = chunk.iter().map(|(id, hash)| tree_node::ActiveModel {
                level: Set(i16::from(id.level)),
                idx: Set(to_i64(id.index)),
                hash: Set(hash.0.to_vec()),
            });
            writes.push(tree_node::Entity::insert_many(rows).build(backend));
        }
        let checkpoint = self.checkpoint;
        writes.push(
            checkpoint::Entity::insert(checkpoint::ActiveModel {
                tree_size: Set(to_i64(checkpoint.tree_size)),
                root_hash: Set(checkpoint.root.0.to_vec()),
                note: Set(checkpoint.note.clone()),
                signed_at: Set(checkpoint.signed_at.clone()),
            })
            .build(backend),
        );
        if let Some(changes) = self.projection {
            projection_writes(backend, changes.tree_size, &changes.objects, &mut writes);
        }
        writes
    }
}

/// The statements that write a projection's changes: its changed objects
/// (inserted, or replacing the stored ones) and the size it now covers.
fn projection_writes(
    backend: DbBackend,
    tree_size: u64,
    objects: &[ProjectedObject],
    writes: &mut Vec<Statement>,
) {
    use sea_orm::sea_query::OnConflict;
    for chunk in objects.chunks(INSERT_CHUNK) {
        let rows = chunk.iter().map(|o| governance_object::ActiveModel {
            kind: Set(o.kind.clone()),
            id: Set(o.id.clone()),
            body: Set(o.body.clone()),
            last_index: Set(to_i64(o.last_index)),
        });
        writes.push(
            governance_object::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([
                        governance_object::Column::Kind,
                        governance_object::Column::Id,
                    ])
                    .update_columns([
                        governance_object::Column::Body,
                        governance_object::Column::LastIndex,
                    ])
                    .to_owned(),
                )
                .build(backend),
        );
    }
    writes.push(
        governance_head::Entity::insert(governance_head::ActiveModel {
            one: Set(1),
            tree_size: Set(to_i64(tree_size)),
        })
        .on_conflict(
            OnConflict::column(governance_head::Column::One)
                .update_column(governance_head::Column::TreeSize)
                .to_owned(),
        )
        .build(backend),
    );
}

/// Most bound values in one combined request, well under PostgreSQL's
/// 65,535 a statement.
const VALUES_PER_REQUEST: usize = 30_000;

/// Joins write statements into as few requests as possible, in order, so a
/// batch's writes cost one round trip to the database rather than one
/// each. SQLite takes a list of statements in one request and binds each
/// one's values in turn. PostgreSQL takes one statement with values at a
/// time, but every write but the last can ride in it as a data-modifying
/// `WITH` query, which PostgreSQL runs exactly once whether or not the
/// rest refers to it; the placeholders are renumbered to follow on.
fn combine(backend: DbBackend, writes: Vec<Statement>) -> Vec<Statement> {
    let mut requests = Vec::new();
    let mut group: Vec<Statement> = Vec::new();
    let mut values = 0;
    for w in writes {
        let n = w.values.as_ref().map_or(0, |v| v.0.len());
        if !group.is_empty() && values + n > VALUES_PER_REQUEST {
            requests.push(join(backend, std::mem::take(&mut group)));
            values = 0;
        }
        values += n;
        group.push(w);
    }
    if !group.is_empty() {
        requests.push(join(backend, group));
    }
    requests
}

fn join(backend: DbBackend, mut group: Vec<Statement>) -> Statement {
    if group.len() == 1 {
        return group.remove(0);
    }
    let mut sql = String::new();
    let mut values = Vec::new();
    let last = group.len() - 1;
    for (i, w) in group.into_iter().enumerate() {
        match backend {
            DbBackend::Postgres => {
                if i < last {
                    sql.push_str(if i == 0 { "WITH " } else { ", " });
                    sql.push_str(&format!("w{i} AS ("));
                } else {
                    sql.push(' ');
                }
                renumber_placeholders(&w.sql, values.len(), &mut sql);
                if i < last {
                    sql.push(')');
                }
            }
            _ => {
                sql.push_str(&w.sql);
                sql.push_str(";\n");
            }
        }
        values.extend(w.values.map(|v| v.0).unwrap_or_default());
    }
    Statement::from_sql_and_values(backend, sql, values)
}

/// Appends PostgreSQL `sql` to `out` with each placeholder `$n` written as
/// `$(n + offset)`. The statements are built with every value bound, so a
/// `$` in them only ever starts a placeholder.
fn renumber_placeholders(sql: &str, offset: usize, out: &mut String) {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(backend: DbBackend, sql: &str, values: &[i64]) -> Statement {
        Statement::from_sql_and_values(backend, sql, values.iter().map(|&v| v.into()))
    }

    #[test]
    fn postgres_writes_ride_in_one_statement_with_renumbered_placeholders() {
        let pg = DbBackend::Postgres;
        let joined = combine(
            pg,
            vec![
                statement(
                    pg,
                    r#"INSERT INTO "a" VALUES ($1, $2), ($3, $4)"#,
                    &[1, 2, 3, 4],
                ),
                statement(pg, r#"INSERT INTO "b" VALUES ($1)"#, &[5]),
                statement(
                    pg,
                    r#"INSERT INTO "c" VALUES ($1, $2) ON CONFLICT DO NOTHING"#,
                    &[6, 7],
                ),
            ],
        );
        assert_eq!(joined.len(), 1);
        assert_eq!(
            joined[0].sql,
            r#"WITH w0 AS (INSERT INTO "a" VALUES ($1, $2), ($3, $4)), w1 AS (INSERT INTO "b" VALUES ($5)) INSERT INTO "c" VALUES ($6, $7) ON CONFLICT DO NOTHING"#
        );
        let values: Vec<sea_orm::Value> = (1..=7i64).map(Into::into).collect();
        assert_eq!(joined[0].values.as_ref().map(|v| &v.0), Some(&values));
    }

    #[test]
    fn sqlite_writes_go_as_one_statement_list() {
        let lite = DbBackend::Sqlite;
        let joined = combine(
            lite,
            vec![
                statement(lite, "INSERT INTO a VALUES (?, ?)", &[1, 2]),
                statement(lite, "INSERT INTO b VALUES (?)", &[3]),
            ],
        );
        assert_eq!(joined.len(), 1);
        assert_eq!(
            joined[0].sql,
            "INSERT INTO a VALUES (?, ?);\nINSERT INTO b VALUES (?);\n"
        );
    }

    #[test]
    fn requests_stay_under_the_value_limit_and_keep_their_order() {
        let pg = DbBackend::Postgres;
        let big = vec![0i64; VALUES_PER_REQUEST / 2 + 1];
        let writes: Vec<Statement> = (0..3)
            .map(|i| statement(pg, &format!("INSERT INTO t{i} VALUES ($1)"), &big))
            .collect();
        let requests = combine(pg, writes);
        assert_eq!(requests.len(), 3);
        for (i, r) in requests.iter().enumerate() {
            assert_eq!(r.sql, format!("INSERT INTO t{i} VALUES ($1)"));
        }
        assert!(combine(pg, Vec::new()).is_empty());
    }
}
