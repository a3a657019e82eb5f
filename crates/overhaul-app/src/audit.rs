//! Reading and verifying the audit trail.

use crate::access::Action;
use crate::{App, AppError, AppResult, Ctx};
use overhaul_store::audit::{self, AuditFilter, AuditRecord, Verification};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// Records after this sequence number.
    pub after_seq: Option<i64>,
    pub limit: Option<u32>,
}

impl App {
    pub async fn list_audit(&self, ctx: &Ctx, q: AuditQuery) -> AppResult<Vec<AuditRecord>> {
        ctx.actor.check_global(Action::ReadAudit)?;
        let limit = crate::page_limit(q.limit)?;
        Ok(audit::list(
            &self.db,
            &AuditFilter {
                entity: q.entity,
                entity_id: q.entity_id,
                after_seq: q.after_seq,
                limit,
            },
        )
        .await?)
    }

    pub async fn verify_audit(&self, ctx: &Ctx) -> AppResult<Verification> {
        ctx.actor.check_global(Action::ReadAudit)?;
        audit::verify(&self.db)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))
    }
}
