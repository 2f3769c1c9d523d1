//! Witnessing, both sides. A witness's state: per log, the checkpoint it
//! last cosigned; it moves forward by conditional updates, so two
//! requests racing from the same size cannot both advance (and triggers
//! refuse a step back). A log's witnessed checkpoints: append-only.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};

use super::entities::{witness_head, witnessed_checkpoint};
use super::{Store, StoreError, StoredCheckpoint};
use crate::tlog::hash::Hash;

/// What a witness holds for one log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessHead {
    /// The size last cosigned.
    pub size: u64,
    /// Its root.
    pub root: Hash,
    /// The signed checkpoint as received.
    pub checkpoint: String,
}

impl Store {
    /// What this witness last cosigned for `origin`.
    pub async fn witness_head(&self, origin: &str) -> Result<Option<WitnessHead>, StoreError> {
        let Some(row) = witness_head::Entity::find_by_id(origin.to_owned())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(WitnessHead {
            size: super::index_from(row.size, "witness size")?,
            root: Hash::from_base64(&row.root)
                .map_err(|_| StoreError::Corrupt(format!("witness root of {origin}")))?,
            checkpoint: row.checkpoint,
        }))
    }

    /// Moves `origin` from `from` (`None`: never cosigned) to `to`; `false`
    /// when another request moved it first.
    pub async fn advance_witness(
        &self,
        origin: &str,
        from: Option<&WitnessHead>,
        to: &WitnessHead,
        at: &str,
    ) -> Result<bool, StoreError> {
        let row = witness_head::Model {
            origin: origin.to_owned(),
            size: super::to_i64(to.size),
            root: to.root.to_base64(),
            checkpoint: to.checkpoint.clone(),
            updated_at: at.to_owned(),
        };
        let Some(from) = from else {
            return super::insert_new(&self.db, row.into_active_model()).await;
        };
        let result = witness_head::Entity::update_many()
            .col_expr(witness_head::Column::Size, Expr::value(row.size))
            .col_expr(witness_head::Column::Root, Expr::value(row.root))
            .col_expr(
                witness_head::Column::Checkpoint,
                Expr::value(row.checkpoint),
            )
            .col_expr(witness_head::Column::UpdatedAt, Expr::value(row.updated_at))
            .filter(witness_head::Column::Origin.eq(origin))
            .filter(witness_head::Column::Size.eq(super::to_i64(from.size)))
            .filter(witness_head::Column::Root.eq(from.root.to_base64()))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }
}

impl Store {
    /// The log's newest witnessed checkpoint (its `signed_at` is when the
    /// quorum was reached).
    pub async fn latest_witnessed_checkpoint(
        &self,
    ) -> Result<Option<StoredCheckpoint>, StoreError> {
        let Some(m) = witnessed_checkpoint::Entity::find()
            .order_by_desc(witnessed_checkpoint::Column::TreeSize)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(StoredCheckpoint {
            tree_size: super::index_from(m.tree_size, "witnessed size")?,
            root: super::hash_from(&m.root_hash, "witnessed root")?,
            note: m.note,
            signed_at: m.witnessed_at,
        }))
    }

    /// Records a witnessed checkpoint; `false` when one of that size is
    /// already recorded (by this server or another).
    pub async fn add_witnessed_checkpoint(
        &self,
        checkpoint: &StoredCheckpoint,
    ) -> Result<bool, StoreError> {
        let size = super::to_i64(checkpoint.tree_size);
        let row = witnessed_checkpoint::Model {
            tree_size: size,
            root_hash: checkpoint.root.0.to_vec(),
            note: checkpoint.note.clone(),
            witnessed_at: checkpoint.signed_at.clone(),
        };
        match super::insert_new(&self.db, row.into_active_model()).await {
            Ok(added) => Ok(added),
            // On SQLite a taken key meets the append-only guard first.
            Err(e) => match witnessed_checkpoint::Entity::find_by_id(size)
                .one(&self.db)
                .await?
            {
                Some(_) => Ok(false),
                None => Err(e),
            },
        }
    }
}
