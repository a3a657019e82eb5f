use crate::AppState;
use crate::api::Errors;
use crate::extract::{Auth, Q};
use crate::problem::ApiResult;
use axum::Json;
use axum::extract::State;
use overhaul_app::audit::AuditQuery;
use overhaul_core::failure_code::{self, FailureCode, FailureCodeKind};
use overhaul_store::audit::{AuditRecord, Verification};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CodeQuery {
    /// mode, mechanism, cause, detection, activity or impact; omit for all.
    pub kind: Option<FailureCodeKind>,
}

/// ISO 14224 code lists for failure reports.
#[utoipa::path(get, path = "/api/v1/failure-codes", tag = "reference", params(CodeQuery),
    responses((status = 200, description = "Codes", body = Vec<FailureCode>), Errors),
    security(("bearer" = [])))]
pub async fn failure_codes(
    Auth(_ctx): Auth,
    Q(q): Q<CodeQuery>,
) -> ApiResult<Json<Vec<FailureCode>>> {
    Ok(Json(match q.kind {
        Some(k) => failure_code::list(k).to_vec(),
        None => failure_code::all().copied().collect(),
    }))
}

/// The audit trail (admins, managers and auditors).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "Audit records in sequence order", body = Vec<AuditRecordView>), Errors),
    security(("bearer" = [])))]
pub async fn audit_list(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Q(q): Q<AuditQuery>,
) -> ApiResult<Json<Vec<AuditRecord>>> {
    Ok(Json(s.app.list_audit(&ctx, q).await?))
}

/// One audit record as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditRecordView {
    pub seq: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// JSON text of the entity before the change.
    pub old_value: Option<String>,
    /// JSON text of the entity after the change.
    pub new_value: Option<String>,
    pub reason: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VerifyResult {
    pub intact: bool,
    pub records: Option<i64>,
    /// What is wrong, naming the first bad record.
    pub problem: Option<String>,
}

/// Verify the hash chain of the whole audit trail.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, description = "Result of the check", body = VerifyResult), Errors),
    security(("bearer" = [])))]
pub async fn audit_verify(
    State(s): State<AppState>,
    Auth(ctx): Auth,
) -> ApiResult<Json<VerifyResult>> {
    Ok(Json(match s.app.verify_audit(&ctx).await? {
        Verification::Intact { records } => VerifyResult {
            intact: true,
            records: Some(records),
            problem: None,
        },
        Verification::Broken(b) => VerifyResult {
            intact: false,
            records: None,
            problem: Some(b.to_string()),
        },
    }))
}
