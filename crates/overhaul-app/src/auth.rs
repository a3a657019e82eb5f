//! Passwords (argon2id), API tokens (random, stored as SHA-256) and turning either into a
//! [`Principal`].

use crate::{App, AppError, AppResult, Principal};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine;
use overhaul_core::role::Role;
use overhaul_store::user;
use sha2::{Digest, Sha256};

/// Prefix that makes leaked tokens easy to recognise (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "ovh_";

/// A secret that never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

pub fn hash_password(password: &str) -> AppResult<String> {
    if password.chars().count() < 8 {
        return Err(AppError::invalid(
            "password",
            "must be at least 8 characters",
        ));
    }
    if password.len() > 1024 {
        return Err(AppError::invalid("password", "must be at most 1024 bytes"));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

pub fn new_token() -> Secret {
    let bytes: [u8; 32] = rand::random();
    Secret(format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl App {
    /// The user behind a bearer token; `Unauthenticated` for unknown, revoked or inactive ones.
    pub async fn authenticate_token(&self, token: &str) -> AppResult<Principal> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
            return Err(AppError::Unauthenticated);
        }
        let t = user::token_user_by_hash(&self.db, &token_hash(token))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if !t.is_active {
            return Err(AppError::Unauthenticated);
        }
        let p = self
            .principal_with_roles(t.user_id, t.name, t.email)
            .await?;
        let now = chrono::Utc::now();
        if overhaul_core::login::should_record_token_use(t.last_used_at, now) {
            // Off the request's path: the answer does not wait for this write.
            let db = self.db.clone();
            let id = t.token_id;
            tokio::spawn(async move {
                if let Err(e) = user::touch_token(&db, id, now).await {
                    tracing::warn!(error = %e, token = %id, "could not record the token's use");
                }
            });
        }
        Ok(p)
    }

    /// Checks an e-mail and password (run on a blocking thread: argon2 is deliberately slow).
    pub async fn authenticate_password(&self, email: &str, password: &str) -> AppResult<Principal> {
        let email =
            overhaul_core::validation::parse_email(email).map_err(|_| AppError::Unauthenticated)?;
        let u = user::by_email(&self.db, &email)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let Some(hash) = u.password_hash.clone() else {
            return Err(AppError::Unauthenticated);
        };
        let pw = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        if !ok {
            return Err(AppError::Unauthenticated);
        }
        self.principal(u.id).await
    }

    pub async fn principal(&self, user_id: uuid::Uuid) -> AppResult<Principal> {
        let u = user::get(&self.db, user_id).await?;
        if !u.is_active {
            return Err(AppError::Unauthenticated);
        }
        self.principal_with_roles(u.id, u.name, u.email).await
    }

    async fn principal_with_roles(
        &self,
        user_id: uuid::Uuid,
        name: String,
        email: String,
    ) -> AppResult<Principal> {
        let grants = user::roles(&self.db, user_id)
            .await?
            .into_iter()
            .filter_map(|g| Role::parse(&g.role).ok().map(|r| (g.site_id, r)))
            .collect();
        Ok(Principal {
            user_id,
            name,
            email,
            grants,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn tokens() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(a.0.starts_with(TOKEN_PREFIX));
        assert_eq!(format!("{a:?}"), "***");
        assert_eq!(token_hash(&a.0).len(), 64);
        assert_ne!(token_hash(&a.0), token_hash(&b.0));
    }
}
