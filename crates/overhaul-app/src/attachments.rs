//! Photos and documents attached to work orders and requests. The bytes are judged by their
//! content (see `overhaul_core::attachment`), stored in the database or in the configured
//! directory under the attachment's id (never a path built from user input), and audited with
//! their SHA-256.

use crate::{Action, App, AppError, AppResult, Ctx};
use overhaul_core::attachment::{self, FileKind};
use overhaul_store::attachment::{self as store, Attachment};
use sha2::{Digest, Sha256};
use std::io::Write;
use uuid::Uuid;

/// What an attachment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    WorkOrder(Uuid),
    WorkRequest(Uuid),
}

impl Owner {
    fn kind(self) -> &'static str {
        match self {
            Owner::WorkOrder(_) => "work_order",
            Owner::WorkRequest(_) => "work_request",
        }
    }

    fn id(self) -> Uuid {
        match self {
            Owner::WorkOrder(id) | Owner::WorkRequest(id) => id,
        }
    }
}

/// A file as received.
#[derive(Clone)]
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("filename", &self.filename)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Writes `bytes` to `dir/name` durably: a temporary file, fsync, rename, fsync of the directory.
fn write_file(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!("{name}.part"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(name))?;
    std::fs::File::open(dir)?.sync_all()
}

impl App {
    /// The site of the owner, checking that the caller may attach to it.
    async fn owner_site(&self, ctx: &Ctx, owner: Owner, action: Action) -> AppResult<Uuid> {
        match owner {
            Owner::WorkOrder(id) => {
                let w = overhaul_store::work_order::get(&self.db, id)
                    .await
                    .map_err(crate::missing("work order"))?;
                ctx.actor.check(w.site_id, action, "work order")?;
                Ok(w.site_id)
            }
            Owner::WorkRequest(id) => {
                let r = overhaul_store::work_request::get(&self.db, id)
                    .await
                    .map_err(crate::missing("work request"))?;
                ctx.actor.check(r.site_id, action, "work request")?;
                Ok(r.site_id)
            }
        }
    }

    /// Stores a file on a work order (who may comment may attach) or a request (who may file
    /// requests). Refuses, changing nothing, anything that is not a whole photo or a PDF.
    pub async fn attach(&self, ctx: &Ctx, owner: Owner, upload: Upload) -> AppResult<Attachment> {
        let action = match owner {
            Owner::WorkOrder(_) => Action::Comment,
            Owner::WorkRequest(_) => Action::CreateRequest,
        };
        let site_id = self.owner_site(ctx, owner, action).await?;
        let kind: FileKind =
            attachment::inspect(&upload.bytes).map_err(|m| AppError::invalid("file", m))?;
        let a = Attachment {
            id: Uuid::now_v7(),
            site_id,
            owner_kind: owner.kind().to_owned(),
            owner_id: owner.id(),
            filename: attachment::display_name(&upload.filename, kind),
            kind: kind.as_str().to_owned(),
            size_bytes: upload.bytes.len() as i64,
            sha256: hex::encode(Sha256::digest(&upload.bytes)),
            created_by: ctx.actor.user_id(),
            created_at: ctx.now,
        };
        let in_db = match &self.files_dir {
            Some(dir) => {
                let (dir, name, bytes) = (dir.clone(), a.id.to_string(), upload.bytes);
                tokio::task::spawn_blocking(move || write_file(&dir, &name, &bytes))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?
                    .map_err(|e| AppError::Internal(format!("storing a file: {e}")))?;
                None
            }
            None => Some(upload.bytes),
        };
        let mut tx = ctx.begin(&self.db).await?;
        store::insert(&mut tx, &a, in_db).await?;
        if let Err(e) = tx.commit().await {
            if let Some(dir) = &self.files_dir {
                let _ = std::fs::remove_file(dir.join(a.id.to_string()));
            }
            return Err(e.into());
        }
        Ok(a)
    }

    /// An attachment and its bytes, for someone who may read its owner. The bytes are checked
    /// against the recorded SHA-256 (a file changed on disk is not served).
    pub async fn attachment(&self, ctx: &Ctx, id: Uuid) -> AppResult<(Attachment, Vec<u8>)> {
        let a = store::get(&self.db, id)
            .await
            .map_err(crate::missing("attachment"))?;
        ctx.actor.check(a.site_id, Action::Read, "attachment")?;
        let bytes = match store::data(&self.db, id).await? {
            Some(b) => b,
            None => {
                let dir = self.files_dir.clone().ok_or_else(|| {
                    AppError::Internal("attachment stored on disk but no directory is set".into())
                })?;
                let name = a.id.to_string();
                tokio::task::spawn_blocking(move || std::fs::read(dir.join(name)))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?
                    .map_err(|e| AppError::Internal(format!("reading a file: {e}")))?
            }
        };
        if hex::encode(Sha256::digest(&bytes)) != a.sha256 {
            return Err(AppError::Internal(format!(
                "attachment {id} does not match its recorded SHA-256"
            )));
        }
        Ok((a, bytes))
    }

    pub async fn attachments_of(&self, ctx: &Ctx, owner: Owner) -> AppResult<Vec<Attachment>> {
        self.owner_site(ctx, owner, Action::Read).await?;
        Ok(store::list_for(&self.db, owner.kind(), owner.id()).await?)
    }
}
