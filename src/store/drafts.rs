//! Drafts at the signing desk: rows that change (signatures are added, a
//! draft is withdrawn or expires), kept apart from the append-only log.
//! Every change names the version it read, so servers sharing one
//! database never lose each other's signatures.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::draft;
use super::{Store, StoreError};

/// A stored draft, as the table holds it.
pub type DraftRow = draft::Model;

/// Which drafts to list.
#[derive(Clone, Debug, Default)]
pub struct DraftFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only drafts concerning this office.
    pub office: Option<String>,
    /// Only drafts opened by this key.
    pub created_by: Option<String>,
}

impl Store {
    /// Adds a draft. `false` when a pending draft of the same statement id
    /// exists already (the statement is being co-signed elsewhere).
    pub async fn insert_draft(&self, row: DraftRow) -> Result<bool, StoreError> {
        super::insert_new(&self.db, row.into_active_model()).await
    }

    /// One draft.
    pub async fn draft(&self, id: &str) -> Result<Option<DraftRow>, StoreError> {
        Ok(draft::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?)
    }

    /// The pending draft of a statement id, if any.
    pub async fn pending_draft_of(
        &self,
        statement_id: &str,
    ) -> Result<Option<DraftRow>, StoreError> {
        Ok(draft::Entity::find()
            .filter(draft::Column::StatementId.eq(statement_id))
            .filter(draft::Column::Status.eq("pending"))
            .one(&self.db)
            .await?)
    }

    /// Drafts matching `filter`, newest first, at most `limit`.
    pub async fn drafts(
        &self,
        filter: &DraftFilter,
        limit: u64,
    ) -> Result<Vec<DraftRow>, StoreError> {
        let mut query = draft::Entity::find();
        if let Some(status) = &filter.status {
            query = query.filter(draft::Column::Status.eq(status.as_str()));
        }
        if let Some(office) = &filter.office {
            query = query.filter(draft::Column::Offices.contains(format!(" {office} ")));
        }
        if let Some(key) = &filter.created_by {
            query = query.filter(draft::Column::CreatedBy.eq(key.as_str()));
        }
        let mut rows = query
            .order_by_desc(draft::Column::CreatedAt)
            .order_by_asc(draft::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        // LIKE reads `_` in an office id as any character: keep exact ones.
        if let Some(office) = &filter.office {
            rows.retain(|r| r.offices.split(' ').any(|o| o == office));
        }
        Ok(rows)
    }

    /// How many pending drafts a key has opened.
    pub async fn pending_drafts_by(&self, keyid: &str) -> Result<u64, StoreError> {
        Ok(draft::Entity::find()
            .filter(draft::Column::CreatedBy.eq(keyid))
            .filter(draft::Column::Status.eq("pending"))
            .count(&self.db)
            .await?)
    }

    /// Replaces a draft if it is still at `read_version` (the row carries
    /// the next version). `false` when another change came first.
    pub async fn update_draft(&self, row: DraftRow, read_version: i64) -> Result<bool, StoreError> {
        let id = row.id.clone();
        let mut active = row.into_active_model().reset_all();
        active.id = sea_orm::ActiveValue::NotSet;
        let result = draft::Entity::update_many()
            .set(active)
            .filter(draft::Column::Id.eq(id))
            .filter(draft::Column::Version.eq(read_version))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Marks pending drafts whose time ran out at `now` (RFC 3339) expired.
    pub async fn expire_drafts(&self, now: &str) -> Result<u64, StoreError> {
        let result = draft::Entity::update_many()
            .col_expr(draft::Column::Status, Expr::value("expired"))
            .col_expr(draft::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                draft::Column::Version,
                Expr::col(draft::Column::Version).add(1),
            )
            .filter(draft::Column::Status.eq("pending"))
            .filter(draft::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}
