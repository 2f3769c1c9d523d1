//! The append transaction: taken under the log's write lock, it reads the
//! head and right edge, writes entries, tree hashes, the checkpoint and the
//! projection, and commits.

use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

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

    /// Which of these statement ids are already in the log: id → (index, digest).
    pub async fn find_statements(
        &self,
        ids: &[&str],
    ) -> Result<HashMap<String, (u64, Hash)>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(INSERT_CHUNK) {
            let rows = entry::Entity::find()
                .select_only()
                .columns([
                    entry::Column::StatementId,
                    entry::Column::Idx,
                    entry::Column::Digest,
                ])
                .filter(entry::Column::StatementId.is_in(chunk.iter().copied()))
                .into_tuple::<(String, i64, Vec<u8>)>()
                .all(&self.tx)
                .await?;
            for (id, idx, digest) in rows {
                out.insert(
                    id,
                    (
                        index_from(idx, "entry index")?,
                        hash_from(&digest, "entry digest")?,
                    ),
                );
            }
        }
        Ok(out)
    }

    /// Whether a checkpoint of exactly `size` was issued.
    pub async fn has_checkpoint(&self, size: u64) -> Result<bool, StoreError> {
        Ok(checkpoint::Entity::find_by_id(to_i64(size))
            .one(&self.tx)
            .await?
            .is_some())
    }

    /// Inserts entries, their new subtree hashes and the checkpoint covering them.
    pub async fn insert(
        &self,
        entries: &[NewEntry],
        nodes: &[(NodeId, Hash)],
        checkpoint: &StoredCheckpoint,
    ) -> Result<(), StoreError> {
        for chunk in entries.chunks(INSERT_CHUNK) {
            let rows = chunk.iter().map(|e| entry::ActiveModel {
                idx: Set(to_i64(e.index)),
                statement_id: Set(e.statement_id.clone()),
                digest: Set(e.digest.0.to_vec()),
                leaf_hash: Set(e.leaf_hash.0.to_vec()),
                recorded_at: Set(e.recorded_at.clone()),
                body: Set(e.body.clone()),
            });
            entry::Entity::insert_many(rows).exec(&self.tx).await?;
        }
        for chunk in nodes.chunks(INSERT_CHUNK) {
            let rows = chunk.iter().map(|(id, hash)| tree_node::ActiveModel {
                level: Set(i16::from(id.level)),
                idx: Set(to_i64(id.index)),
                hash: Set(hash.0.to_vec()),
            });
            tree_node::Entity::insert_many(rows).exec(&self.tx).await?;
        }
        checkpoint::Entity::insert(checkpoint::ActiveModel {
            tree_size: Set(to_i64(checkpoint.tree_size)),
            root_hash: Set(checkpoint.root.0.to_vec()),
            note: Set(checkpoint.note.clone()),
            signed_at: Set(checkpoint.signed_at.clone()),
        })
        .exec(&self.tx)
        .await?;
        Ok(())
    }

    /// Up to `limit` entries from `start`, read under the lock.
    pub async fn entries(&self, start: u64, limit: u64) -> Result<Vec<StoredEntry>, StoreError> {
        read_entries(&self.tx, start, limit).await
    }

    /// Writes changed projection objects and the size the projection now covers.
    pub async fn write_projection(
        &self,
        tree_size: u64,
        objects: &[ProjectedObject],
    ) -> Result<(), StoreError> {
        use sea_orm::sea_query::OnConflict;
        for chunk in objects.chunks(INSERT_CHUNK) {
            let rows = chunk.iter().map(|o| governance_object::ActiveModel {
                kind: Set(o.kind.clone()),
                id: Set(o.id.clone()),
                body: Set(o.body.clone()),
                last_index: Set(to_i64(o.last_index)),
            });
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
                .exec(&self.tx)
                .await?;
        }
        governance_head::Entity::insert(governance_head::ActiveModel {
            one: Set(1),
            tree_size: Set(to_i64(tree_size)),
        })
        .on_conflict(
            OnConflict::column(governance_head::Column::One)
                .update_column(governance_head::Column::TreeSize)
                .to_owned(),
        )
        .exec(&self.tx)
        .await?;
        Ok(())
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
        self.write_projection(tree_size, objects).await
    }

    /// Commits; the append is durable when this returns.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
