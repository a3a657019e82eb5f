//! Browser sessions: password login with throttling, session lookup with sliding expiry, logout.
//! The cookie carries a random secret; the database keeps only its SHA-256, so a leaked
//! database does not hand out live sessions.

use crate::auth::{Secret, token_hash};
use crate::{Actor, App, AppError, AppResult, Ctx, Principal};
use base64::Engine;
use chrono::{DateTime, Utc};
use overhaul_core::login::{
    SessionPolicy, ThrottlePolicy, ThrottleState, after_failure, locked_until,
};
use overhaul_store::session::{self, Session, Throttle};
use uuid::Uuid;

/// Prefix of session secrets (distinct from API tokens, so one is never accepted as the other).
pub const SESSION_PREFIX: &str = "ovs_";

#[derive(Debug, Clone)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A session just opened: the secret goes into the cookie and is never shown again.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    pub secret: Secret,
    pub principal: Principal,
    pub expires_at: DateTime<Utc>,
}

/// The user behind a session cookie.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub session_id: Uuid,
    pub principal: Principal,
    /// The synchroniser token every unsafe request of this session must echo.
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

fn random_secret(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn to_state(t: &Throttle) -> ThrottleState {
    ThrottleState {
        failures: t.failures,
        window_started_at: t.window_started_at,
        locked_until: t.locked_until,
    }
}

impl App {
    async fn throttle_state(&self, key: &str) -> AppResult<Option<ThrottleState>> {
        Ok(session::throttle(&self.db, key)
            .await?
            .as_ref()
            .map(to_state))
    }

    async fn record_failure(
        &self,
        key: &str,
        policy: ThrottlePolicy,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let prev = self.throttle_state(key).await?;
        let next = after_failure(prev.as_ref(), now, policy);
        session::put_throttle(
            &self.db,
            &Throttle {
                key: key.to_owned(),
                failures: next.failures,
                window_started_at: next.window_started_at,
                locked_until: next.locked_until,
            },
            now,
        )
        .await?;
        Ok(())
    }

    /// Checks the password and opens a session. Wrong e-mail and wrong password answer the same
    /// way; too many failures for the account or the address answer `Throttled` without even
    /// checking the password.
    pub async fn login(&self, input: LoginInput, now: DateTime<Utc>) -> AppResult<OpenedSession> {
        let email = input.email.trim().to_lowercase();
        let account_key = format!("account:{email}");
        let ip_key = input.ip.as_ref().map(|ip| format!("ip:{ip}"));
        let mut lock = locked_until(self.throttle_state(&account_key).await?.as_ref(), now);
        if let Some(k) = &ip_key {
            let ip_lock = locked_until(self.throttle_state(k).await?.as_ref(), now);
            lock = lock.max(ip_lock);
        }
        if let Some(until) = lock {
            return Err(AppError::Throttled { until });
        }
        let principal = match self.authenticate_password(&email, &input.password).await {
            Ok(p) => p,
            Err(AppError::Unauthenticated) => {
                self.record_failure(&account_key, ThrottlePolicy::ACCOUNT, now)
                    .await?;
                if let Some(k) = &ip_key {
                    self.record_failure(k, ThrottlePolicy::ADDRESS, now).await?;
                }
                return Err(AppError::Unauthenticated);
            }
            Err(e) => return Err(e),
        };
        session::clear_throttle(&self.db, &account_key, now).await?;
        let secret = random_secret(SESSION_PREFIX);
        let policy = SessionPolicy::default();
        let s = Session {
            id: Uuid::now_v7(),
            token_hash: token_hash(&secret),
            user_id: principal.user_id,
            csrf_token: random_secret(""),
            created_at: now,
            last_seen_at: now,
            expires_at: policy.expiry(now, now),
            ip: input.ip.map(|s| s.chars().take(64).collect()),
            user_agent: input.user_agent.map(|s| s.chars().take(256).collect()),
        };
        let ctx = Ctx::new(Actor::User(principal.clone()), now);
        let mut tx = ctx.begin(&self.db).await?;
        session::insert(&mut tx, &s).await?;
        tx.commit().await?;
        Ok(OpenedSession {
            secret: Secret(secret),
            principal,
            expires_at: s.expires_at,
        })
    }

    /// The live session behind a cookie secret, its expiry slid forward.
    pub async fn session(&self, secret: &str, now: DateTime<Utc>) -> AppResult<SessionUser> {
        if !secret.starts_with(SESSION_PREFIX) || secret.len() > 200 {
            return Err(AppError::Unauthenticated);
        }
        let s = session::by_hash(&self.db, &token_hash(secret), now)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let principal = self.principal(s.user_id).await?;
        let policy = SessionPolicy::default();
        let mut expires_at = s.expires_at;
        if policy.needs_touch(s.last_seen_at, now) {
            expires_at = policy.expiry(s.created_at, now);
            session::touch(&self.db, s.id, now, expires_at).await?;
        }
        Ok(SessionUser {
            session_id: s.id,
            principal,
            csrf: s.csrf_token,
            expires_at,
        })
    }

    /// Ends the session behind a cookie secret (no error when it is already gone).
    pub async fn logout(&self, secret: &str, now: DateTime<Utc>) -> AppResult<()> {
        let Some(s) = session::by_hash(&self.db, &token_hash(secret), now).await? else {
            return Ok(());
        };
        let principal = self.principal(s.user_id).await?;
        let ctx = Ctx::new(Actor::User(principal), now);
        let mut tx = ctx.begin(&self.db).await?;
        session::delete(&mut tx, &s).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes expired sessions (run periodically by the server).
    pub async fn purge_sessions(&self, now: DateTime<Utc>) -> AppResult<u64> {
        Ok(session::purge_expired(&self.db, now).await?)
    }
}
