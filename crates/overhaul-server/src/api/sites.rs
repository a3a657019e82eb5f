use crate::AppState;
use crate::api::Errors;
use crate::extract::{Auth, Body, Id, IfMatch, Q, with_etag};
use crate::problem::ApiResult;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use overhaul_app::sites::{NewSite, SitePatch, SiteView};
use overhaul_app::users::{IssuedToken, NewUser, UserView};
use overhaul_store::user::ApiToken;
use serde::Deserialize;

/// Create a site (admins for all sites).
#[utoipa::path(post, path = "/api/v1/sites", tag = "sites", request_body = NewSite,
    responses((status = 201, description = "The new site", body = SiteView), Errors),
    security(("bearer" = [])))]
pub async fn create_site(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Body(b): Body<NewSite>,
) -> ApiResult<Response> {
    let v = s.app.create_site(&ctx, b).await?;
    Ok(with_etag(StatusCode::CREATED, v.site.version, &v))
}

/// Sites you can see.
#[utoipa::path(get, path = "/api/v1/sites", tag = "sites",
    responses((status = 200, description = "Sites", body = Vec<SiteView>), Errors),
    security(("bearer" = [])))]
pub async fn list_sites(
    State(s): State<AppState>,
    Auth(ctx): Auth,
) -> ApiResult<Json<Vec<SiteView>>> {
    Ok(Json(s.app.list_sites(&ctx).await?))
}

#[utoipa::path(get, path = "/api/v1/sites/{id}", tag = "sites",
    params(("id" = uuid::Uuid, Path, description = "Site id")),
    responses((status = 200, description = "The site", body = SiteView), Errors),
    security(("bearer" = [])))]
pub async fn get_site(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Response> {
    let v = s.app.get_site(&ctx, id).await?;
    Ok(with_etag(StatusCode::OK, v.site.version, &v))
}

/// Change a site (time zone, business hours, anonymous requests).
#[utoipa::path(patch, path = "/api/v1/sites/{id}", tag = "sites", request_body = SitePatch,
    params(("id" = uuid::Uuid, Path, description = "Site id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version you read")),
    responses((status = 200, description = "The changed site", body = SiteView), Errors),
    security(("bearer" = [])))]
pub async fn update_site(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
    IfMatch(v): IfMatch,
    Body(b): Body<SitePatch>,
) -> ApiResult<Response> {
    let v2 = s.app.update_site(&ctx, id, v, b).await?;
    Ok(with_etag(StatusCode::OK, v2.site.version, &v2))
}

/// Create a user with roles (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, description = "The new user", body = UserView), Errors),
    security(("bearer" = [])))]
pub async fn create_user(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Body(b): Body<NewUser>,
) -> ApiResult<Response> {
    let v = s.app.create_user(&ctx, b).await?;
    Ok(with_etag(StatusCode::CREATED, v.user.version, &v))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, description = "Users", body = Vec<UserView>), Errors),
    security(("bearer" = [])))]
pub async fn list_users(
    State(s): State<AppState>,
    Auth(ctx): Auth,
) -> ApiResult<Json<Vec<UserView>>> {
    Ok(Json(s.app.list_users(&ctx).await?))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses((status = 200, description = "The user", body = UserView), Errors),
    security(("bearer" = [])))]
pub async fn get_user(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Response> {
    let v = s.app.get_user(&ctx, id).await?;
    Ok(with_etag(StatusCode::OK, v.user.version, &v))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Whose token; default: yours.
    pub email: Option<String>,
    /// A label to recognise it by.
    pub name: Option<String>,
}

/// Issue an API token. The secret is in this response only; it is stored hashed.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "users", request_body = NewToken,
    responses((status = 201, description = "The token (shown once)", body = IssuedToken), Errors),
    security(("bearer" = [])))]
pub async fn create_token(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Body(b): Body<NewToken>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let email = match (&b.email, &ctx.actor) {
        (Some(e), _) => e.clone(),
        (None, overhaul_app::Actor::User(p)) => p.email.clone(),
        (None, _) => String::new(),
    };
    let t = s.app.create_token(&ctx, &email, b.name.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// Whose tokens (administrators); default: yours.
    pub user_id: Option<uuid::Uuid>,
}

/// API tokens of a user, newest first, with when each was last used (to the nearest five
/// minutes) and whether it is revoked. Secrets are never shown again.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "users", params(TokenQuery),
    responses((status = 200, description = "Tokens", body = Vec<ApiToken>), Errors),
    security(("bearer" = [])))]
pub async fn list_tokens(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Q(q): Q<TokenQuery>,
) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(s.app.list_tokens(&ctx, q.user_id).await?))
}

/// Revoke a token at once (its owner or an administrator); revoking it again changes nothing.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "users",
    params(("id" = uuid::Uuid, Path, description = "Token id")),
    responses((status = 200, description = "The revoked token", body = ApiToken), Errors),
    security(("bearer" = [])))]
pub async fn revoke_token(
    State(s): State<AppState>,
    Auth(ctx): Auth,
    Id(id): Id,
) -> ApiResult<Json<ApiToken>> {
    Ok(Json(s.app.revoke_token(&ctx, id).await?))
}
