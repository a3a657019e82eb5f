//! Administration: sites (time zone, business hours, holidays, anonymous QR reports), users and
//! their roles, API tokens (shown once), the audit trail with its verification.

use super::form::Fields;
use super::{Chrome, UiError, UiResult, Viewer, refresh, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use overhaul_app::Action;
use overhaul_app::audit::AuditQuery;
use overhaul_app::pm::NewHoliday;
use overhaul_app::sites::SitePatch;
use overhaul_app::users::{NewGrant, NewUser};
use overhaul_core::role::Role;
use overhaul_store::audit::Verification;
use serde::Deserialize;
use uuid::Uuid;

pub struct SiteRow {
    id: Uuid,
    code: String,
    name: String,
    tz: String,
    hours: String,
    holidays: String,
    anonymous: bool,
    version: i64,
}

pub struct TokenRow {
    id: Uuid,
    name: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct AdminPage {
    chrome: Chrome,
    new_token: Option<String>,
    tokens: Vec<TokenRow>,
    sites: Vec<SiteRow>,
    users: Vec<(String, String, String, &'static str, Uuid)>,
    roles: Vec<&'static str>,
    audit: Vec<(i64, String, String, String, String, String)>,
    entity: String,
    entity_id: String,
    can_manage_sites: bool,
    can_manage_users: bool,
    can_read_audit: bool,
}

#[derive(Deserialize, Default)]
pub struct AuditFilter {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    entity_id: String,
}

async fn page(s: &AppState, v: &Viewer, f: AuditFilter, new_token: Option<String>) -> UiResult {
    let p = &v.session.principal;
    let can_manage_sites = p.can(None, Action::ManageSites);
    let can_manage_users = p.can(None, Action::ManageUsers);
    let can_read_audit = p.can(None, Action::ReadAudit);
    let mut sites = vec![];
    for site in s.app.list_sites(&v.ctx).await? {
        let hours = site
            .business_hours
            .days
            .iter()
            .zip(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
            .filter_map(|(d, name)| d.as_ref().map(|d| format!("{name} {}–{}", d.open, d.close)))
            .collect::<Vec<_>>()
            .join(", ");
        let holidays = s
            .app
            .list_holidays(&v.ctx, site.site.id)
            .await?
            .iter()
            .map(|h| format!("{} {}", h.day, h.name))
            .collect::<Vec<_>>()
            .join("; ");
        sites.push(SiteRow {
            id: site.site.id,
            code: site.site.code.clone(),
            name: site.site.name.clone(),
            tz: site.site.timezone.clone(),
            hours,
            holidays,
            anonymous: site.site.allow_anonymous_requests,
            version: site.site.version,
        });
    }
    let users = if can_manage_users {
        s.app
            .list_users(&v.ctx)
            .await?
            .into_iter()
            .map(|u| {
                let roles = u
                    .roles
                    .iter()
                    .map(|g| {
                        let at = g
                            .site_id
                            .and_then(|id| sites.iter().find(|s| s.id == id))
                            .map(|s| s.code.clone())
                            .unwrap_or_else(|| "every site".into());
                        format!("{} at {at}", g.role)
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    u.user.name,
                    u.user.email,
                    roles,
                    if u.user.is_active { "yes" } else { "no" },
                    u.user.id,
                )
            })
            .collect()
    } else {
        vec![]
    };
    let audit = if can_read_audit {
        let mut records = s
            .app
            .list_audit(
                &v.ctx,
                AuditQuery {
                    entity: Some(f.entity.trim().to_owned()).filter(|x| !x.is_empty()),
                    entity_id: Some(f.entity_id.trim().to_owned()).filter(|x| !x.is_empty()),
                    after_seq: None,
                    limit: Some(500),
                },
            )
            .await?;
        // Newest first on screen; the list is in sequence order.
        records.reverse();
        records
            .into_iter()
            .take(100)
            .map(|r| {
                (
                    r.seq,
                    r.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    r.actor_name,
                    format!("{} {}", r.action, r.entity),
                    r.entity_id,
                    r.reason.unwrap_or_default(),
                )
            })
            .collect()
    } else {
        vec![]
    };
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let tokens = s
        .app
        .list_tokens(&v.ctx, None)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            created: fmt(t.created_at),
            last_used: t.last_used_at.map(fmt).unwrap_or_else(|| "never".into()),
            revoked: t.revoked_at.map(fmt),
        })
        .collect();
    Ok(render(&AdminPage {
        chrome: Chrome::for_viewer(v, "Administration", "/admin"),
        new_token,
        tokens,
        sites,
        users,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        audit,
        entity: f.entity,
        entity_id: f.entity_id,
        can_manage_sites,
        can_manage_users,
        can_read_audit,
    }))
}

pub async fn index(State(s): State<AppState>, v: Viewer, Query(f): Query<AuditFilter>) -> UiResult {
    page(&s, &v, f, None).await
}

pub async fn anonymous(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let id = Uuid::parse_str(&id).map_err(|_| UiError::bad("not a site id"))?;
    let allow = f.req("allow")? == "true";
    s.app
        .update_site(
            &v.ctx,
            id,
            f.get("version").and_then(|x| x.parse().ok()),
            SitePatch {
                allow_anonymous_requests: Some(allow),
                ..Default::default()
            },
        )
        .await?;
    Ok(refresh())
}

pub async fn add_holiday(State(s): State<AppState>, v: Viewer, f: Fields) -> UiResult {
    let site = Uuid::parse_str(f.req("site")?).map_err(|_| UiError::bad("site: not a site"))?;
    let day = chrono::NaiveDate::parse_from_str(f.req("day")?, "%Y-%m-%d")
        .map_err(|_| UiError::bad("day: enter a date like 2026-12-24"))?;
    s.app
        .add_holiday(
            &v.ctx,
            site,
            NewHoliday {
                day,
                name: f.req("name")?.to_owned(),
            },
        )
        .await?;
    Ok(refresh())
}

pub async fn add_user(State(s): State<AppState>, v: Viewer, f: Fields) -> UiResult {
    let role = Role::parse(f.req("role")?).map_err(|m| UiError::bad(format!("role: {m}")))?;
    let site_id = f
        .get("site")
        .map(Uuid::parse_str)
        .transpose()
        .map_err(|_| UiError::bad("site: not a site"))?;
    s.app
        .create_user(
            &v.ctx,
            NewUser {
                email: f.req("email")?.to_owned(),
                name: f.req("name")?.to_owned(),
                password: f.get("password").map(str::to_owned),
                roles: vec![NewGrant { role, site_id }],
            },
        )
        .await?;
    Ok(refresh())
}

pub async fn grant_role(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> UiResult {
    let id = Uuid::parse_str(&id).map_err(|_| UiError::bad("not a user id"))?;
    let role = Role::parse(f.req("role")?).map_err(|m| UiError::bad(format!("role: {m}")))?;
    let site_id = f
        .get("site")
        .map(Uuid::parse_str)
        .transpose()
        .map_err(|_| UiError::bad("site: not a site"))?;
    s.app
        .grant_role(&v.ctx, id, NewGrant { role, site_id })
        .await?;
    Ok(refresh())
}

/// Creates a token for the signed-in user and shows it once (a full page, not an htmx swap,
/// so it is not kept in any history cache).
pub async fn add_token(State(s): State<AppState>, v: Viewer, f: Fields) -> UiResult {
    let name = f.req("name")?.to_owned();
    let issued = s
        .app
        .create_token(&v.ctx, &v.session.principal.email, Some(&name))
        .await?;
    let mut r = page(&s, &v, AuditFilter::default(), Some(issued.token.0)).await?;
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

/// Revokes one of the signed-in user's tokens.
pub async fn revoke_token(State(s): State<AppState>, v: Viewer, Path(id): Path<Uuid>) -> UiResult {
    s.app.revoke_token(&v.ctx, id).await?;
    Ok(refresh())
}

pub async fn verify(State(s): State<AppState>, v: Viewer) -> UiResult {
    let html = match s.app.verify_audit(&v.ctx).await? {
        Verification::Intact { records } => format!(
            "<span class=\"badge completed\">intact</span> <span>all {records} records verified: every hash and link is right.</span>"
        ),
        Verification::Broken(b) => format!(
            "<span class=\"badge urgent\">broken</span> <span>{}</span>",
            super::work_orders::html_escape(&b.to_string())
        ),
    };
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Html(html),
    ))
}
