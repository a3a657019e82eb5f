//! Uploaded files: their metadata and, when stored in the database, their bytes.

use crate::Db;
use crate::audit::PendingAudit;
use crate::db::Tx;
use crate::error::StoreResult;
use crate::schema::Attachments;
use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;
use uuid::Uuid;

/// An attachment without its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Attachment {
    pub id: Uuid,
    pub site_id: Uuid,
    /// `work_order` or `work_request`.
    pub owner_kind: String,
    pub owner_id: Uuid,
    pub filename: String,
    /// `jpeg`, `png`, `webp` or `pdf`, judged from the content.
    pub kind: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

const COLS: [Attachments; 10] = [
    Attachments::Id,
    Attachments::SiteId,
    Attachments::OwnerKind,
    Attachments::OwnerId,
    Attachments::Filename,
    Attachments::Kind,
    Attachments::SizeBytes,
    Attachments::Sha256,
    Attachments::CreatedBy,
    Attachments::CreatedAt,
];

/// Stores the metadata (and the bytes when `data` is given); the audit record names the file
/// and its SHA-256, so a later swap of the bytes is detectable.
pub async fn insert(tx: &mut Tx, a: &Attachment, data: Option<Vec<u8>>) -> StoreResult<()> {
    let mut cols = COLS.to_vec();
    cols.push(Attachments::Data);
    tx.execute(
        Query::insert()
            .into_table(Attachments::Table)
            .columns(cols)
            .values_panic([
                a.id.into(),
                a.site_id.into(),
                a.owner_kind.clone().into(),
                a.owner_id.into(),
                a.filename.clone().into(),
                a.kind.clone().into(),
                a.size_bytes.into(),
                a.sha256.clone().into(),
                a.created_by.into(),
                a.created_at.into(),
                data.into(),
            ]),
    )
    .await?;
    tx.audit(PendingAudit::new("attach", "attachment", a.id).new_value(a));
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> StoreResult<Attachment> {
    db.fetch_one(
        Query::select()
            .columns(COLS)
            .from(Attachments::Table)
            .and_where(Expr::col(Attachments::Id).eq(id)),
    )
    .await
}

/// The stored bytes (`None` when the file lives on disk).
pub async fn data(db: &Db, id: Uuid) -> StoreResult<Option<Vec<u8>>> {
    #[derive(sqlx::FromRow)]
    struct D {
        data: Option<Vec<u8>>,
    }
    let d: D = db
        .fetch_one(
            Query::select()
                .column(Attachments::Data)
                .from(Attachments::Table)
                .and_where(Expr::col(Attachments::Id).eq(id)),
        )
        .await?;
    Ok(d.data)
}

/// Attachments of one record, oldest first.
pub async fn list_for(db: &Db, owner_kind: &str, owner_id: Uuid) -> StoreResult<Vec<Attachment>> {
    db.fetch_all(
        Query::select()
            .columns(COLS)
            .from(Attachments::Table)
            .and_where(Expr::col(Attachments::OwnerKind).eq(owner_kind))
            .and_where(Expr::col(Attachments::OwnerId).eq(owner_id))
            .order_by(Attachments::CreatedAt, Order::Asc)
            .limit(200),
    )
    .await
}
