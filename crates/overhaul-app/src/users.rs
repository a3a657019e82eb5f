//! Users, role grants and API tokens.

use crate::access::Action;
use crate::auth::{Secret, hash_password, new_token, token_hash};
use crate::{App, AppError, AppResult, Ctx};
use overhaul_core::role::Role;
use overhaul_core::validation::{Checks, parse_email, parse_line};
use overhaul_store::user::{self, ApiToken, RoleGrant, User};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGrant {
    pub role: Role,
    /// Omit for a role at every site.
    pub site_id: Option<Uuid>,
}

#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    /// Optional: API-only users have no password.
    pub password: Option<String>,
    pub roles: Vec<NewGrant>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("roles", &self.roles)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    #[serde(flatten)]
    pub user: User,
    pub roles: Vec<RoleGrant>,
}

/// A freshly made token: the secret is shown this once and never again.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = String)]
    #[serde(serialize_with = "reveal")]
    pub token: Secret,
}

fn reveal<S: serde::Serializer>(s: &Secret, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(&s.0)
}

impl App {
    pub async fn create_user(&self, ctx: &Ctx, input: NewUser) -> AppResult<UserView> {
        ctx.actor.check_global(Action::ManageUsers)?;
        let mut c = Checks::new();
        let email = c.take("email", parse_email(&input.email));
        let name = c.take("name", parse_line(&input.name, 200));
        if input.roles.is_empty() {
            c.push("roles", "give the user at least one role");
        }
        for (i, g) in input.roles.iter().enumerate() {
            if let Some(s) = g.site_id {
                match overhaul_store::site::get(&self.db, s).await {
                    Ok(_) => {}
                    Err(overhaul_store::StoreError::NotFound) => {
                        c.push(format!("roles[{i}].site_id"), "no such site")
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        c.finish()?;
        let password_hash = match &input.password {
            Some(p) => {
                let p = p.clone();
                Some(
                    tokio::task::spawn_blocking(move || hash_password(&p))
                        .await
                        .map_err(|e| AppError::Internal(e.to_string()))??,
                )
            }
            None => None,
        };
        let (Some(email), Some(name)) = (email, name) else {
            return Err(AppError::Internal("validation".into()));
        };
        let u = User {
            id: Uuid::now_v7(),
            email,
            name,
            password_hash,
            is_active: true,
            version: 1,
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        let grants: Vec<RoleGrant> = input
            .roles
            .iter()
            .map(|g| RoleGrant {
                id: Uuid::now_v7(),
                user_id: u.id,
                site_id: g.site_id,
                role: g.role.as_str().to_owned(),
                created_at: ctx.now,
            })
            .collect();
        let mut tx = ctx.begin(&self.db).await?;
        user::insert(&mut tx, &u, &grants).await?;
        tx.commit().await?;
        Ok(UserView {
            user: u,
            roles: grants,
        })
    }

    /// Gives an existing user one more role, at one site or at all (admins).
    pub async fn grant_role(&self, ctx: &Ctx, user_id: Uuid, g: NewGrant) -> AppResult<UserView> {
        ctx.actor.check_global(Action::ManageUsers)?;
        let u = user::get(&self.db, user_id)
            .await
            .map_err(crate::missing("user"))?;
        if let Some(site) = g.site_id {
            overhaul_store::site::get(&self.db, site)
                .await
                .map_err(|_| AppError::invalid("site_id", "no such site"))?;
        }
        let existing = user::roles(&self.db, u.id).await?;
        if existing
            .iter()
            .any(|r| r.site_id == g.site_id && r.role == g.role.as_str())
        {
            return Err(AppError::Conflict(
                "the user already has this role there".into(),
            ));
        }
        let grant = RoleGrant {
            id: Uuid::now_v7(),
            user_id: u.id,
            site_id: g.site_id,
            role: g.role.as_str().to_owned(),
            created_at: ctx.now,
        };
        let mut tx = ctx.begin(&self.db).await?;
        user::grant(&mut tx, &grant).await?;
        tx.commit().await?;
        let mut roles = existing;
        roles.push(grant);
        Ok(UserView { user: u, roles })
    }

    pub async fn list_users(&self, ctx: &Ctx) -> AppResult<Vec<UserView>> {
        ctx.actor.check_global(Action::ManageUsers)?;
        let mut out = Vec::new();
        for u in user::list(&self.db).await? {
            let roles = user::roles(&self.db, u.id).await?;
            out.push(UserView { user: u, roles });
        }
        Ok(out)
    }

    pub async fn get_user(&self, ctx: &Ctx, id: Uuid) -> AppResult<UserView> {
        if ctx.actor.user_id() != Some(id) {
            ctx.actor.check_global(Action::ManageUsers)?;
        }
        let u = user::get(&self.db, id)
            .await
            .map_err(crate::missing("user"))?;
        let roles = user::roles(&self.db, u.id).await?;
        Ok(UserView { user: u, roles })
    }

    /// Issues an API token for the user with `email` (admins, or the user for themselves).
    pub async fn create_token(
        &self,
        ctx: &Ctx,
        email: &str,
        name: Option<&str>,
    ) -> AppResult<IssuedToken> {
        let email = parse_email(email).map_err(|m| AppError::invalid("email", m))?;
        let u = user::by_email(&self.db, &email)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        if ctx.actor.user_id() != Some(u.id) {
            ctx.actor.check_global(Action::ManageUsers)?;
        }
        let label = match name {
            Some(n) => parse_line(n, 100).map_err(|m| AppError::invalid("name", m))?,
            None => "api".to_owned(),
        };
        let secret = new_token();
        let t = ApiToken {
            id: Uuid::now_v7(),
            user_id: u.id,
            name: label.clone(),
            token_hash: token_hash(&secret.0),
            created_at: ctx.now,
            last_used_at: None,
            revoked_at: None,
        };
        let mut tx = ctx.begin(&self.db).await?;
        user::insert_token(&mut tx, &t).await?;
        tx.commit().await?;
        Ok(IssuedToken {
            id: t.id,
            name: label,
            token: secret,
        })
    }

    /// A user's API tokens (their own, or anyone's for an administrator), newest first.
    pub async fn list_tokens(&self, ctx: &Ctx, user_id: Option<Uuid>) -> AppResult<Vec<ApiToken>> {
        let me = ctx.actor.user_id();
        let whose = match (user_id, me) {
            (Some(u), _) => u,
            (None, Some(m)) => m,
            (None, None) => return Err(AppError::invalid("user_id", "is required")),
        };
        if me != Some(whose) {
            ctx.actor.check_global(Action::ManageUsers)?;
        }
        Ok(user::tokens_of_user(&self.db, whose).await?)
    }

    /// Revokes a token at once (its owner, or an administrator). Revoking a revoked token
    /// changes nothing.
    pub async fn revoke_token(&self, ctx: &Ctx, id: Uuid) -> AppResult<ApiToken> {
        let t = user::token_by_id(&self.db, id)
            .await?
            .ok_or(AppError::NotFound("token"))?;
        if ctx.actor.user_id() != Some(t.user_id)
            && ctx.actor.check_global(Action::ManageUsers).is_err()
        {
            // Other people's tokens do not exist for this caller.
            return Err(AppError::NotFound("token"));
        }
        let mut tx = ctx.begin(&self.db).await?;
        user::revoke_token(&mut tx, &t).await?;
        tx.commit().await?;
        user::token_by_id(&self.db, id)
            .await?
            .ok_or(AppError::NotFound("token"))
    }
}
