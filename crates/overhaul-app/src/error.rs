use overhaul_core::{FieldError, Invalid};
use overhaul_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AppError {
    /// Input that breaks a rule of its own (field-level). 400.
    #[error("invalid input: {0}")]
    Invalid(Invalid),
    #[error("not authenticated")]
    Unauthenticated,
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Clashes with existing data (duplicate code, record with history). 409.
    #[error("{0}")]
    Conflict(String),
    /// The record changed since the client read it. 412.
    #[error("the record was changed since you read it; reload and try again")]
    Stale,
    /// A business rule refuses the change (illegal transition). 422.
    #[error("{message}")]
    Rule {
        message: String,
        allowed: Option<Vec<String>>,
    },
    /// Too many failed logins for the account or the address. 429.
    #[error("too many failed logins; try again after {until}")]
    Throttled {
        until: chrono::DateTime<chrono::Utc>,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(Invalid::one(field, message))
    }

    pub fn rule(message: impl Into<String>) -> Self {
        AppError::Rule {
            message: message.into(),
            allowed: None,
        }
    }

    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            AppError::Invalid(i) => &i.0,
            _ => &[],
        }
    }
}

impl From<Invalid> for AppError {
    fn from(i: Invalid) -> Self {
        AppError::Invalid(i)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("record"),
            StoreError::Conflict(c) => AppError::Conflict(conflict_message(&c)),
            StoreError::Stale => AppError::Stale,
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// Turns a constraint name into a sentence a user understands.
fn conflict_message(constraint: &str) -> String {
    let c = constraint.to_lowercase();
    if c.contains("signals") && c.contains("source_key") {
        "another signal is already bound to this source".into()
    } else if c.contains("signals") && c.contains("name") {
        "this asset already has a signal with this name".into()
    } else if c.contains("assets") && c.contains("code") || c.contains("assets_site_id_code") {
        "an asset with this code already exists at this site".into()
    } else if c.contains("sites") && c.contains("code") {
        "a site with this code already exists".into()
    } else if c.contains("users") && c.contains("email") {
        "a user with this e-mail already exists".into()
    } else if c.contains("meters") && c.contains("code") {
        "this asset already has a meter with this code".into()
    } else {
        format!("conflicts with existing data ({constraint})")
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Maps "no such row" to a 404 naming `what`; any other storage failure stays an error.
pub(crate) fn missing(what: &'static str) -> impl Fn(StoreError) -> AppError {
    move |e| match e {
        StoreError::NotFound => AppError::NotFound(what),
        e => AppError::from(e),
    }
}

/// Maps "no such row" to a field error (a reference in the input that does not exist).
pub(crate) fn missing_ref(
    field: &'static str,
    message: &'static str,
) -> impl Fn(StoreError) -> AppError {
    move |e| match e {
        StoreError::NotFound => AppError::invalid(field, message),
        e => AppError::from(e),
    }
}
