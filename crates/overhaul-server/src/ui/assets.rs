//! Asset pages: the hierarchy browser (lazy-loaded, one level per request, so it stays fast
//! with 100,000 assets), search by code or name, the asset page, QR codes and label sheets.

use super::work_orders::{site_zones, uuid_field};
use super::{Chrome, UiError, UiResult, Viewer, local, render, words};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::IntoResponse;
use overhaul_app::assets::{AssetQuery, AssetView};
use overhaul_app::work_orders::WorkOrderQuery;
use overhaul_app::{Action, App, AppError, Ctx};
use serde::Deserialize;
use uuid::Uuid;

/// Children shown per tree level; more are reached by search.
const LEVEL_LIMIT: u32 = 500;

pub struct Node {
    id: Uuid,
    code: String,
    name: String,
    level: String,
    status: String,
    status_words: String,
    children: i64,
}

async fn nodes(app: &App, items: Vec<AssetView>) -> Result<Vec<Node>, UiError> {
    let ids: Vec<Uuid> = items.iter().map(|a| a.asset.id).collect();
    let counts = overhaul_store::overview::child_counts(&app.db, &ids)
        .await
        .map_err(AppError::from)?;
    Ok(items
        .into_iter()
        .map(|a| {
            let a = a.asset;
            Node {
                children: counts.get(&a.id).copied().unwrap_or(0),
                id: a.id,
                status_words: words(&a.status),
                code: a.code,
                name: a.name,
                level: words(&a.level),
                status: a.status,
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "assets/tree.html")]
struct TreePage {
    chrome: Chrome,
    q: String,
    results: Vec<Node>,
    /// (site label, root nodes)
    sites: Vec<(String, Vec<Node>)>,
}

#[derive(Deserialize)]
pub struct TreeQuery {
    #[serde(default)]
    q: String,
}

pub async fn tree(State(s): State<AppState>, v: Viewer, Query(tq): Query<TreeQuery>) -> UiResult {
    let q = tq.q.trim().to_owned();
    let mut results = vec![];
    let mut sites = vec![];
    if q.is_empty() {
        for site in s.app.list_sites(&v.ctx).await? {
            let page = s
                .app
                .list_assets(
                    &v.ctx,
                    AssetQuery {
                        site_id: Some(site.site.id),
                        roots: Some(true),
                        limit: Some(LEVEL_LIMIT),
                        ..Default::default()
                    },
                )
                .await?;
            sites.push((
                format!("{} — {}", site.site.code, site.site.name),
                nodes(&s.app, page.items).await?,
            ));
        }
    } else {
        let page = s
            .app
            .list_assets(
                &v.ctx,
                AssetQuery {
                    q: Some(q.clone()),
                    limit: Some(100),
                    ..Default::default()
                },
            )
            .await?;
        results = nodes(&s.app, page.items).await?;
    }
    Ok(render(&TreePage {
        chrome: Chrome::for_viewer(&v, "Assets", "/assets"),
        q,
        results,
        sites,
    }))
}

#[derive(Template)]
#[template(path = "assets/_children.html")]
struct Children {
    nodes: Vec<Node>,
    truncated: bool,
}

pub async fn children(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> UiResult {
    let id = uuid_field("id", &id)?;
    let page = s
        .app
        .list_assets(
            &v.ctx,
            AssetQuery {
                parent_id: Some(id),
                limit: Some(LEVEL_LIMIT),
                ..Default::default()
            },
        )
        .await?;
    let truncated = page.next_cursor.is_some();
    Ok(render(&Children {
        nodes: nodes(&s.app, page.items).await?,
        truncated,
    }))
}

#[derive(Template)]
#[template(path = "assets/page.html")]
struct AssetPage {
    chrome: Chrome,
    a: overhaul_store::asset::Asset,
    breadcrumbs: Vec<(Uuid, String)>,
    status_words: String,
    level: String,
    class: String,
    criticality: String,
    rav: String,
    site: String,
    report_url: String,
    can_create_wo: bool,
    meters: Vec<(String, String, String, String)>,
    open_work: Vec<(Uuid, String, String, String, String, String)>,
    past_work: Vec<(Uuid, String, String, String)>,
    downtime: Vec<(String, String, &'static str, String)>,
    signals: Vec<super::signals::LiveLine>,
    can_edit_signals: bool,
}

/// The link a QR code on the machine opens.
async fn report_path(
    app: &App,
    ctx: &Ctx,
    a: &overhaul_store::asset::Asset,
) -> Result<String, UiError> {
    let site = app.get_site(ctx, a.site_id).await?;
    Ok(format!(
        "/r/{}?site={}",
        super::session::percent_encode(&a.code),
        super::session::percent_encode(&site.site.code)
    ))
}

pub async fn page(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> UiResult {
    let id = uuid_field("id", &id)?;
    let view = s.app.get_asset(&v.ctx, id).await?;
    let a = view.asset.clone();
    let zones = site_zones(&s.app, &v.ctx).await?;
    let (tz, site) = zones
        .get(&a.site_id)
        .cloned()
        .unwrap_or((chrono_tz::UTC, String::new()));
    let mut breadcrumbs = vec![];
    let ancestry = a.ancestry();
    let names = overhaul_store::overview::asset_names(&s.app.db, &ancestry)
        .await
        .map_err(AppError::from)?;
    for anc in ancestry.iter().rev() {
        if let Some(n) = names.get(anc) {
            breadcrumbs.push((*anc, n.code.clone()));
        }
    }
    let meters = s
        .app
        .list_meters(&v.ctx, Some(id))
        .await?
        .into_iter()
        .map(|m| {
            (
                format!("{} — {}", m.code, m.name),
                m.kind,
                m.last_value
                    .map(|x| format!("{x} {}", m.unit))
                    .unwrap_or_else(|| "—".into()),
                m.last_read_at
                    .map(|t| local(t, tz))
                    .unwrap_or_else(|| "—".into()),
            )
        })
        .collect();
    let open = s
        .app
        .list_work_orders(
            &v.ctx,
            WorkOrderQuery {
                asset_id: Some(id),
                status: Some("open".into()),
                limit: Some(20),
                ..Default::default()
            },
        )
        .await?;
    let past = s
        .app
        .list_work_orders(
            &v.ctx,
            WorkOrderQuery {
                asset_id: Some(id),
                status: Some("completed,closed".into()),
                limit: Some(10),
                ..Default::default()
            },
        )
        .await?;
    let downtime = s
        .app
        .list_downtime(&v.ctx, Some(id), None)
        .await?
        .into_iter()
        .take(20)
        .map(|d| {
            (
                local(d.started_at, tz),
                d.ended_at
                    .map(|t| local(t, tz))
                    .unwrap_or_else(|| "still down".into()),
                if d.planned { "planned" } else { "unplanned" },
                d.reason,
            )
        })
        .collect();
    let criticality = match &view.criticality {
        Some(c) => format!(
            "{} (consequence {} × likelihood {}, {} risk)",
            c.score,
            c.consequence,
            c.likelihood,
            c.band.as_str()
        ),
        None => "not assessed".into(),
    };
    let signals = super::signals::live_lines(&s, &v.ctx, id, tz).await?;
    Ok(render(&AssetPage {
        chrome: Chrome::for_viewer(&v, format!("{} {}", a.code, a.name), "/assets"),
        signals,
        can_edit_signals: v.session.principal.can(Some(a.site_id), Action::EditAssets),
        breadcrumbs,
        status_words: words(&a.status),
        level: words(&a.level),
        class: a.equipment_class.clone().unwrap_or_else(|| "—".into()),
        criticality,
        rav: a
            .replacement_value
            .map(|c| format!("{}.{:02}", c / 100, c % 100))
            .unwrap_or_else(|| "—".into()),
        site,
        report_url: report_path(&s.app, &v.ctx, &a).await?,
        can_create_wo: v
            .session
            .principal
            .can(Some(a.site_id), Action::CreateWorkOrder),
        meters,
        open_work: open
            .items
            .iter()
            .map(|w| {
                let w = &w.work_order;
                (
                    w.id,
                    w.number.clone(),
                    w.title.clone(),
                    w.priority.clone(),
                    w.status.clone(),
                    words(&w.status),
                )
            })
            .collect(),
        past_work: past
            .items
            .iter()
            .map(|w| {
                let w = &w.work_order;
                (
                    w.id,
                    w.number.clone(),
                    w.title.clone(),
                    w.completed_at.map(|t| local(t, tz)).unwrap_or_default(),
                )
            })
            .collect(),
        downtime,
        a,
    }))
}

/// The absolute URL a printed code should open (the host the user reached us on).
fn absolute(headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if super::session::is_https(headers) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}{path}")
}

/// An SVG QR code of `text`, `px` pixels wide.
pub fn qr_svg_of(text: &str, px: u32) -> Result<String, UiError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|_| UiError::bad("the link is too long for a QR code"))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(px, px)
        .quiet_zone(true)
        .build())
}

pub async fn qr_svg(
    State(s): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let a = s.app.get_asset(&v.ctx, id).await?.asset;
    let url = absolute(&headers, &report_path(&s.app, &v.ctx, &a).await?);
    let svg = qr_svg_of(&url, 240)?;
    let mut r = svg.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "assets/labels.html")]
struct LabelsPage {
    chrome: Chrome,
    root: String,
    /// (code, name, svg)
    labels: Vec<(String, String, String)>,
    truncated: bool,
}

/// A printable sheet of QR labels for an asset and everything below it.
pub async fn labels(
    State(s): State<AppState>,
    v: Viewer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> UiResult {
    let id = uuid_field("id", &id)?;
    let root = s.app.get_asset(&v.ctx, id).await?.asset;
    let page = s
        .app
        .list_assets(
            &v.ctx,
            AssetQuery {
                subtree_of: Some(id),
                limit: Some(500),
                ..Default::default()
            },
        )
        .await?;
    let site = s.app.get_site(&v.ctx, root.site_id).await?.site;
    let mut labels = vec![];
    for a in &page.items {
        let a = &a.asset;
        let path = format!(
            "/r/{}?site={}",
            super::session::percent_encode(&a.code),
            super::session::percent_encode(&site.code)
        );
        labels.push((
            a.code.clone(),
            a.name.clone(),
            qr_svg_of(&absolute(&headers, &path), 120)?,
        ));
    }
    Ok(render(&LabelsPage {
        chrome: Chrome::for_viewer(&v, format!("QR labels {}", root.code), "/assets"),
        root: format!("{} — {}", root.code, root.name),
        truncated: page.next_cursor.is_some(),
        labels,
    }))
}
