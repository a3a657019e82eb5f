//! The QR-code problem report: `/r/{asset_code}` opens a one-screen form. It works without a
//! login where the site allows anonymous requests, otherwise after signing in.

use super::form::Submission;
use super::session::{MaybeViewer, login_redirect, percent_encode};
use super::{Chrome, UiError, UiResult, local, render, words};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect};
use overhaul_app::AppError;
use overhaul_app::portal::{PortalStatus, PortalTarget};
use overhaul_app::work_requests::NewWorkRequest;
use overhaul_core::work_order::Priority;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SiteParam {
    site: Option<String>,
    filed: Option<String>,
}

#[derive(Template)]
#[template(path = "public/request.html")]
struct RequestForm {
    chrome: Chrome,
    site: String,
    asset_code: String,
    asset_name: String,
    action: String,
    anonymous: bool,
    error: Option<String>,
    title: String,
    description: String,
    name: String,
}

fn form_page(t: &PortalTarget, viewer: &MaybeViewer, q: &SiteParam) -> RequestForm {
    let chrome = match &viewer.0 {
        Some(v) => Chrome::for_viewer(v, "Report a problem", ""),
        None => Chrome::public("Report a problem"),
    };
    RequestForm {
        chrome,
        site: format!("{} — {}", t.site.code, t.site.name),
        asset_code: t.asset.code.clone(),
        asset_name: t.asset.name.clone(),
        action: match &q.site {
            Some(s) => format!(
                "/r/{}?site={}",
                percent_encode(&t.asset.code),
                percent_encode(s)
            ),
            None => format!("/r/{}", percent_encode(&t.asset.code)),
        },
        anonymous: viewer.0.is_none(),
        error: None,
        title: String::new(),
        description: String::new(),
        name: String::new(),
    }
}

pub async fn form(
    State(s): State<AppState>,
    viewer: MaybeViewer,
    parts: Parts,
    Path(code): Path<String>,
    Query(q): Query<SiteParam>,
) -> UiResult {
    let t = s.app.portal_target(q.site.as_deref(), &code).await?;
    if viewer.0.is_none() && !t.site.allow_anonymous_requests {
        return Ok(login_redirect(&parts));
    }
    Ok(render(&form_page(&t, &viewer, &q)))
}

pub async fn submit(
    State(s): State<AppState>,
    viewer: MaybeViewer,
    Path(code): Path<String>,
    Query(q): Query<SiteParam>,
    sub: Submission,
) -> UiResult {
    let t = s.app.portal_target(q.site.as_deref(), &code).await?;
    let now = chrono::Utc::now();
    let f = sub.fields;
    let photo = sub
        .files
        .into_iter()
        .find(|(name, _)| name == "photo")
        .map(|(_, p)| p);
    let input = NewWorkRequest {
        asset_id: t.asset.id,
        title: f.get("title").unwrap_or_default().to_owned(),
        description: f.get("description").map(str::to_owned),
        priority: Some(
            Priority::parse(f.get("priority").unwrap_or("normal"))
                .map_err(|m| UiError::bad(format!("priority: {m}")))?,
        ),
        requester_name: f.get("name").map(str::to_owned),
        attachments: vec![],
    };
    match s
        .app
        .portal_request(viewer.0.as_ref().map(|v| &v.ctx), &t, input, photo, now)
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!(
            "/r/{}/requests/{}?site={}&filed=1",
            percent_encode(&t.asset.code),
            percent_encode(&r.number),
            percent_encode(&t.site.code)
        ))
        .into_response()),
        Err(AppError::Unauthenticated) => Err(UiError::from(AppError::Unauthenticated)),
        Err(e) => {
            let ui = UiError::from(e);
            let mut page = form_page(&t, &viewer, &q);
            page.error = Some(if ui.fields.is_empty() {
                ui.message.clone()
            } else {
                ui.fields
                    .iter()
                    .map(|(k, m)| format!("{}: {m}", words(k)))
                    .collect::<Vec<_>>()
                    .join("; ")
            });
            page.title = f.get("title").unwrap_or_default().to_owned();
            page.description = f.get("description").unwrap_or_default().to_owned();
            page.name = f.get("name").unwrap_or_default().to_owned();
            let mut r = render(&page);
            *r.status_mut() = ui.status;
            Ok(r)
        }
    }
}

#[derive(Template)]
#[template(path = "public/status.html")]
struct StatusPage {
    chrome: Chrome,
    s: PortalStatus,
    asset: String,
    created: String,
    status_words: String,
    wo_status: String,
    just_filed: bool,
    self_url: String,
    back_url: String,
}

pub async fn status(
    State(s): State<AppState>,
    viewer: MaybeViewer,
    parts: Parts,
    Path((code, number)): Path<(String, String)>,
    Query(q): Query<SiteParam>,
) -> UiResult {
    let t = s.app.portal_target(q.site.as_deref(), &code).await?;
    let st = match s
        .app
        .portal_status(viewer.0.as_ref().map(|v| &v.ctx), &t, &number)
        .await
    {
        Err(AppError::Unauthenticated) => return Ok(login_redirect(&parts)),
        other => other?,
    };
    let tz = t
        .site
        .timezone
        .parse::<chrono_tz::Tz>()
        .unwrap_or(chrono_tz::UTC);
    let chrome = match &viewer.0 {
        Some(v) => Chrome::for_viewer(v, format!("Request {}", st.number), ""),
        None => Chrome::public(format!("Request {}", st.number)),
    };
    let site_q = format!("?site={}", percent_encode(&t.site.code));
    Ok(render(&StatusPage {
        chrome,
        asset: format!("{} — {}", t.asset.code, t.asset.name),
        created: local(st.created_at, tz),
        status_words: words(&st.status),
        wo_status: st
            .work_order_status
            .as_deref()
            .map(words)
            .unwrap_or_default(),
        just_filed: q.filed.is_some(),
        self_url: format!(
            "/r/{}/requests/{}{site_q}",
            percent_encode(&t.asset.code),
            percent_encode(&st.number)
        ),
        back_url: format!("/r/{}{site_q}", percent_encode(&t.asset.code)),
        s: st,
    }))
}
