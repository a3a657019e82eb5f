//! The web UI: server-rendered pages (askama) with htmx for partial updates. Every page calls
//! the same app-layer use cases as the API, so the same rules and permissions apply; the UI only
//! hides what a role cannot do, the app layer refuses it anyway.

mod admin;
mod alarms;
mod assets;
pub mod chart;
mod form;
mod home;
mod kpi;
mod pm;
mod pm_plans;
mod procedures;
mod public;
mod requests;
pub mod session;
mod signals;
mod work_orders;

use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use overhaul_app::{Action, AppError};
pub use session::{MaybeViewer, Viewer};

/// Changes with every release, so embedded files can be cached for a year.
pub const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

const HTMX: &[u8] = include_bytes!("../../assets/vendor/htmx-2.0.11.min.js");
const CSS: &[u8] = include_bytes!("../../assets/app.css");
const UPLOT_JS: &[u8] = include_bytes!("../../assets/vendor/uPlot-1.6.32.iife.min.js");
const UPLOT_CSS: &[u8] = include_bytes!("../../assets/vendor/uPlot-1.6.32.min.css");
const CHART_JS: &[u8] = include_bytes!("../../assets/signal-chart.js");

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home::front_page))
        .route("/login", get(home::login_page).post(home::login))
        .route("/logout", post(home::logout))
        .route("/work-orders", get(work_orders::list))
        .route(
            "/work-orders/new",
            get(work_orders::new_form).post(work_orders::create),
        )
        .route("/work-orders/bulk", post(work_orders::bulk))
        .route("/work-orders/views", post(work_orders::save_view))
        .route(
            "/work-orders/views/{id}/delete",
            post(work_orders::delete_view),
        )
        .route("/work-orders/{id}", get(work_orders::page))
        .route(
            "/work-orders/{id}/transition",
            post(work_orders::transition),
        )
        .route("/work-orders/{id}/plan", post(work_orders::plan))
        .route("/work-orders/{id}/labor", post(work_orders::add_labor))
        .route("/work-orders/{id}/comments", post(work_orders::add_comment))
        .route(
            "/work-orders/{id}/failure",
            post(work_orders::failure_report),
        )
        .route(
            "/work-orders/{id}/downtime",
            post(work_orders::add_downtime),
        )
        .route("/my-work", get(work_orders::my_work))
        .route("/my-work/{id}/{action}", post(work_orders::my_work_action))
        .route("/requests", get(requests::inbox))
        .route("/requests/{id}/{action}", post(requests::triage))
        .route("/assets", get(assets::tree))
        .route("/assets/{id}", get(assets::page))
        .route("/assets/{id}/children", get(assets::children))
        .route("/assets/{id}/signals", get(signals::live))
        .route("/signals", get(signals::list))
        .route("/signals/new", get(signals::new_form).post(signals::create))
        .route("/signals/{id}", get(signals::page).post(signals::update))
        .route("/signals/{id}/rules", post(signals::add_rule))
        .route("/signals/{id}/rules/{rule}", post(signals::update_rule))
        .route("/signals/{id}/trend.json", get(signals::trend_json))
        .route("/signals/{id}/data.csv", get(signals::trend_csv))
        .route("/assets/{id}/qr.svg", get(assets::qr_svg))
        .route("/assets/{id}/labels", get(assets::labels))
        .route(
            "/work-orders/{id}/attachments",
            post(work_orders::add_attachment).layer(DefaultBodyLimit::max(form::UPLOAD_LIMIT)),
        )
        .route("/attachments/{id}", get(serve_attachment))
        .route(
            "/r/{code}",
            get(public::form)
                .post(public::submit)
                .layer(DefaultBodyLimit::max(form::UPLOAD_LIMIT)),
        )
        .route("/r/{code}/requests/{number}", get(public::status))
        .route("/pm", get(pm::page))
        .route("/kpis", get(kpi::dashboard))
        .route("/bad-actors", get(kpi::bad_actors))
        .route("/assets/{id}/reliability", get(kpi::reliability))
        .route("/assets/{id}/reliability/accept", post(kpi::accept))
        .route("/pm/calendar", get(pm::calendar))
        .route("/pm/generate", post(pm_plans::generate))
        .route("/pm/plans", get(pm_plans::list))
        .route(
            "/pm/plans/new",
            get(pm_plans::new_form).post(pm_plans::create),
        )
        .route("/procedures", get(procedures::list))
        .route("/procedures/{id}", get(procedures::page))
        .route("/procedures/{id}/revisions", post(procedures::new_revision))
        .route(
            "/procedures/revisions/{id}",
            get(procedures::revision).post(procedures::save_revision),
        )
        .route(
            "/procedures/revisions/{id}/publish",
            post(procedures::publish),
        )
        .route("/work-orders/{id}/steps", post(procedures::record_step))
        .route("/pm/plans/preview", post(pm_plans::preview))
        .route("/pm/plans/{id}", get(pm_plans::page))
        .route(
            "/pm/plans/{id}/edit",
            get(pm_plans::edit_form).post(pm_plans::update),
        )
        .route("/alarms", get(alarms::list))
        .route("/alarms/{id}/{action}", post(alarms::command))
        .route("/admin", get(admin::index))
        .route("/admin/sites/{id}/anonymous", post(admin::anonymous))
        .route("/admin/holidays", post(admin::add_holiday))
        .route("/admin/users", post(admin::add_user))
        .route("/admin/users/{id}/roles", post(admin::grant_role))
        .route("/admin/tokens", post(admin::add_token))
        .route("/admin/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/admin/audit/verify", get(admin::verify))
        .layer(axum::middleware::from_fn_with_state(state, session::layer))
        // Embedded files need no session: no database read for each script and stylesheet.
        .route("/static/{version}/{file}", get(static_file))
}

/// An attachment, served so that a browser can never run it: the type comes from the content
/// check made at upload, `nosniff` is set for every response, and a sandboxing CSP applies.
async fn serve_attachment(
    axum::extract::State(s): axum::extract::State<AppState>,
    v: Viewer,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> UiResult {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| UiError::bad("not an attachment id"))?;
    let (a, bytes) = s.app.attachment(&v.ctx, id).await?;
    let kind = overhaul_core::attachment::FileKind::parse(&a.kind)
        .map_err(|_| UiError::from(AppError::Internal(format!("unknown kind {}", a.kind))))?;
    let disposition = format!(
        "{}; filename*=UTF-8''{}",
        if kind.is_image() {
            "inline"
        } else {
            "attachment"
        },
        session::percent_encode(&a.filename).replace('/', "%2F")
    );
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(kind.content_type()),
    );
    if let Ok(d) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    Ok(r)
}

async fn static_file(
    axum::extract::Path((version, file)): axum::extract::Path<(String, String)>,
) -> Response {
    let (body, ct) = match file.as_str() {
        "htmx.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "uPlot.iife.min.js" => (UPLOT_JS, "text/javascript; charset=utf-8"),
        "uPlot.min.css" => (UPLOT_CSS, "text/css; charset=utf-8"),
        "signal-chart.js" => (CHART_JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let cache = if version == ASSET_VERSION {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(ct)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        body,
    )
        .into_response()
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every page's layout needs: title, navigation for this user, CSRF token.
pub struct Chrome {
    pub title: String,
    pub asset_version: &'static str,
    pub user: Option<String>,
    pub csrf: Option<String>,
    pub nav: Vec<NavItem>,
    pub flash: Option<String>,
}

impl Chrome {
    /// Layout for a signed-in page; `current` is the nav entry to highlight.
    pub fn for_viewer(v: &Viewer, title: impl Into<String>, current: &str) -> Self {
        let p = &v.session.principal;
        let mut nav = vec![NavItem {
            href: "/",
            label: "Overview",
            current: false,
        }];
        let items: [(&'static str, &'static str, Option<Action>); 9] = [
            ("/my-work", "My work", Some(Action::ExecuteWork)),
            ("/work-orders", "Work orders", None),
            ("/requests", "Requests", Some(Action::TriageRequest)),
            ("/assets", "Assets", None),
            ("/pm", "PM", None),
            ("/kpis", "KPIs", None),
            ("/alarms", "Alarms", None),
            ("/signals", "Signals", Some(Action::EditAssets)),
            ("/admin", "Admin", None),
        ];
        for (href, label, needs) in items {
            if needs.is_none_or(|a| p.can_anywhere(a)) {
                nav.push(NavItem {
                    href,
                    label,
                    current: false,
                });
            }
        }
        for n in &mut nav {
            n.current = n.href == current;
        }
        Chrome {
            title: title.into(),
            asset_version: ASSET_VERSION,
            user: Some(p.name.clone()),
            csrf: Some(v.session.csrf.clone()),
            nav,
            flash: None,
        }
    }

    /// Layout for a page seen without signing in.
    pub fn public(title: impl Into<String>) -> Self {
        Chrome {
            title: title.into(),
            asset_version: ASSET_VERSION,
            user: None,
            csrf: None,
            nav: vec![],
            flash: None,
        }
    }
}

/// Renders a template as an HTML response.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<h1>Something went wrong</h1><p>It has been logged.</p>"),
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    heading: &'a str,
    message: &'a str,
    fields: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "_flash_error.html")]
struct ErrorFlash<'a> {
    heading: &'a str,
    message: &'a str,
    fields: Vec<(String, String)>,
}

/// What an error page said, kept on the response so that [`session::layer`], which sees the
/// request, can turn it into a fragment for htmx requests.
#[derive(Clone)]
struct ErrorParts {
    heading: String,
    message: String,
    fields: Vec<(String, String)>,
}

/// An error as a full page.
pub fn render_error_response(
    status: StatusCode,
    heading: &str,
    message: &str,
    fields: &[(String, String)],
) -> Response {
    let mut r = render(&ErrorPage {
        chrome: Chrome::public(heading),
        heading,
        message,
        fields: fields.to_vec(),
    });
    *r.status_mut() = status;
    r.extensions_mut().insert(ErrorParts {
        heading: heading.to_owned(),
        message: message.to_owned(),
        fields: fields.to_vec(),
    });
    r
}

/// For an htmx request, an error page becomes a message swapped into the page's flash area
/// (so a refused button press says why, in place).
pub fn errors_in_place(htmx: bool, r: Response) -> Response {
    let Some(e) = r.extensions().get::<ErrorParts>().filter(|_| htmx).cloned() else {
        return r;
    };
    let mut out = render(&ErrorFlash {
        heading: &e.heading,
        message: &e.message,
        fields: e.fields,
    });
    *out.status_mut() = r.status();
    out.headers_mut()
        .insert("hx-retarget", HeaderValue::from_static("#flash"));
    out.headers_mut()
        .insert("hx-reswap", HeaderValue::from_static("innerHTML"));
    out
}

/// A failed page or action, shown as HTML (never a bare 500 for user input).
#[derive(Debug)]
pub struct UiError {
    pub status: StatusCode,
    pub heading: &'static str,
    pub message: String,
    pub fields: Vec<(String, String)>,
}

impl UiError {
    pub fn bad(message: impl Into<String>) -> Self {
        UiError {
            status: StatusCode::BAD_REQUEST,
            heading: "Please check the form",
            message: message.into(),
            fields: vec![],
        }
    }
}

impl From<AppError> for UiError {
    fn from(e: AppError) -> Self {
        let fields = e
            .field_errors()
            .iter()
            .map(|f| (f.field.clone(), f.message.clone()))
            .collect();
        let (status, heading, message) = match e {
            AppError::Invalid(_) => (
                StatusCode::BAD_REQUEST,
                "Please check the form",
                "Some fields need attention.".to_owned(),
            ),
            AppError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "Please sign in",
                "Your session has ended.".to_owned(),
            ),
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m),
            AppError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "Not found",
                format!("The {what} does not exist or is not visible to you."),
            ),
            AppError::Conflict(m) => (StatusCode::CONFLICT, "Conflict", m),
            AppError::Stale => (
                StatusCode::PRECONDITION_FAILED,
                "Changed meanwhile",
                "Someone changed this record since you opened it. Reload the page and try again."
                    .to_owned(),
            ),
            AppError::Rule { message, allowed } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Not allowed by the rules",
                match allowed {
                    Some(a) if !a.is_empty() => format!("{message} Allowed now: {}.", a.join(", ")),
                    _ => message,
                },
            ),
            AppError::Throttled { until } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                format!(
                    "Too many failed sign-ins. Try again after {} UTC.",
                    until.format("%H:%M")
                ),
            ),
            AppError::Internal(m) => {
                tracing::error!(error = %m, "internal error on a page");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side; it has been logged.".to_owned(),
                )
            }
        };
        UiError {
            status,
            heading,
            message,
            fields,
        }
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        render_error_response(self.status, self.heading, &self.message, &self.fields)
    }
}

pub type UiResult = Result<Response, UiError>;

/// After an htmx action: reload the page the user is on (keeps every panel consistent).
pub fn refresh() -> Response {
    ([("hx-refresh", "true")], StatusCode::OK).into_response()
}

/// Formats an instant in a time zone for people ("2026-03-29 06:00").
pub fn local(t: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// Human words for an enum value stored as snake_case ("in_progress" → "in progress").
pub fn words(s: &str) -> String {
    s.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htmx_requests_get_errors_in_place_and_pages_stay_pages() {
        let page = || UiError::bad("title is required.").into_response();
        let plain = errors_in_place(false, page());
        assert_eq!(plain.status(), StatusCode::BAD_REQUEST);
        assert!(plain.headers().get("hx-retarget").is_none());
        let htmx = errors_in_place(true, page());
        assert_eq!(htmx.status(), StatusCode::BAD_REQUEST);
        assert_eq!(htmx.headers()["hx-retarget"], "#flash");
        assert_eq!(htmx.headers()["hx-reswap"], "innerHTML");
        // A successful answer passes through untouched.
        let ok = errors_in_place(true, refresh());
        assert_eq!(ok.headers()["hx-refresh"], "true");
    }
}
