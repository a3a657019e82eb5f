use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or reference rule of the schema refused the write; names the constraint.
    #[error("conflicts with existing data ({0})")]
    Conflict(String),
    /// The row changed since it was read (optimistic concurrency).
    #[error("the record was changed by someone else")]
    Stale,
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    /// The transaction's group commit failed: nothing of it is stored.
    #[error("the write was not committed: {0}")]
    NotCommitted(String),
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::RowNotFound = e {
            return StoreError::NotFound;
        }
        if let Some(db) = e.as_database_error()
            && (db.is_unique_violation() || db.is_foreign_key_violation())
        {
            let what = db
                .constraint()
                .map(str::to_owned)
                .unwrap_or_else(|| db.message().to_owned());
            return StoreError::Conflict(what);
        }
        if let sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) = e {
            return StoreError::Corrupt(e.to_string());
        }
        StoreError::Db(e)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Parses a stored enum text, turning a bad value into a `Corrupt` error.
pub(crate) fn parse_stored<T>(r: Result<T, String>) -> StoreResult<T> {
    r.map_err(StoreError::Corrupt)
}
