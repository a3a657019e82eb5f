//! Use cases of Overhaul. Each one loads what it needs, asks the core to decide, and persists
//! the change with its audit record in one transaction. Authorisation is checked here, so every
//! adapter (HTTP API, UI, CLI, importers) enforces the same rules.

pub mod access;
pub mod alarms;
pub mod assets;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod bad_actors;
mod error;
pub mod import;
pub mod kpis;
pub mod meters;
pub mod overview;
pub mod pm;
pub mod portal;
pub mod procedures;
pub mod reliability;
pub mod saved_views;
pub mod sessions;
pub mod signals;
pub mod sites;
pub mod users;
pub mod work_kpis;
pub mod work_orders;
pub mod work_requests;

pub use access::{Action, Actor, Principal};
pub use error::{AppError, AppResult};
pub(crate) use error::{missing, missing_ref};
pub use overhaul_store::{Backend, Db};

use chrono::{DateTime, Utc};

/// Who is acting and when. `now` is passed in (never read inside a use case), so seeding a year
/// of history and testing time rules work the same way as live requests.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub now: DateTime<Utc>,
}

impl Ctx {
    pub fn new(actor: Actor, now: DateTime<Utc>) -> Self {
        Self {
            actor,
            now: overhaul_core::time::micros(now),
        }
    }

    pub fn system(name: &str, now: DateTime<Utc>) -> Self {
        Self::new(Actor::System(name.to_owned()), now)
    }

    pub(crate) async fn begin(&self, db: &Db) -> AppResult<overhaul_store::Tx> {
        Ok(db.begin(&self.actor.audit_ref(), self.now).await?)
    }
}

/// The application: the database handle behind every use case.
#[derive(Clone, Debug)]
pub struct App {
    pub db: Db,
    /// Where uploaded files are kept; `None` keeps them in the database.
    pub files_dir: Option<std::path::PathBuf>,
    /// How long raw sensor readings are kept (and how old a reading may be when it arrives);
    /// hourly rollups are kept for good.
    pub readings_retention: chrono::Duration,
    /// Rule evaluation state of signals between reading batches (see [`signals`]).
    pub(crate) condition: std::sync::Arc<tokio::sync::Mutex<signals::ConditionCache>>,
}

impl App {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            files_dir: None,
            readings_retention: chrono::Duration::milliseconds(
                overhaul_core::condition::reading::DEFAULT_RETENTION_MS,
            ),
            condition: std::sync::Arc::default(),
        }
    }

    /// Keeps uploaded files on disk in `dir` (created if missing) instead of the database.
    pub fn with_files_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.files_dir = Some(dir);
        self
    }
}

/// Deserialises a field that may be absent (leave unchanged), `null` (clear) or a value.
pub fn patch_field<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(d).map(Some)
}

/// A page of a list: `next_cursor` is `null` on the last page.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Opaque keyset cursors: base64 of "<rfc3339>|<uuid>" or "<text>|<uuid>".
pub mod cursor {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    pub fn encode(key: &str, id: Uuid) -> String {
        URL_SAFE_NO_PAD.encode(format!("{key}|{id}"))
    }

    pub fn encode_time(t: DateTime<Utc>, id: Uuid) -> String {
        encode(&overhaul_core::time::canonical(t), id)
    }

    pub fn decode(raw: &str) -> Result<(String, Uuid), String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| "is not a cursor returned by this list".to_string())?;
        let text = String::from_utf8(bytes)
            .map_err(|_| "is not a cursor returned by this list".to_string())?;
        let (k, id) = text
            .rsplit_once('|')
            .ok_or_else(|| "is not a cursor returned by this list".to_string())?;
        let id =
            Uuid::parse_str(id).map_err(|_| "is not a cursor returned by this list".to_string())?;
        Ok((k.to_owned(), id))
    }

    pub fn decode_time(raw: &str) -> Result<(DateTime<Utc>, Uuid), String> {
        let (k, id) = decode(raw)?;
        let t = DateTime::parse_from_rfc3339(&k)
            .map_err(|_| "is not a cursor returned by this list".to_string())?
            .with_timezone(&Utc);
        Ok((t, id))
    }
}

/// Limits of list pages.
pub fn page_limit(raw: Option<u32>) -> AppResult<u64> {
    match raw {
        None => Ok(50),
        Some(n) if (1..=500).contains(&n) => Ok(u64::from(n)),
        Some(_) => Err(AppError::invalid("limit", "must be between 1 and 500")),
    }
}
