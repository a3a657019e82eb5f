-- Uploaded files (SQLite). Mirrors postgres/0007_attachments.sql. The bytes live in `data`, or
-- on disk under the configured directory (then `data` is NULL and the file is named by `id`).

CREATE TABLE attachments (
    id BLOB PRIMARY KEY NOT NULL,
    site_id BLOB NOT NULL REFERENCES sites(id),
    owner_kind TEXT NOT NULL,
    owner_id BLOB NOT NULL,
    filename TEXT NOT NULL,
    kind TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB,
    created_by BLOB REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX attachments_owner ON attachments(owner_kind, owner_id, created_at);
CREATE INDEX attachments_site ON attachments(site_id);
CREATE INDEX attachments_created_by ON attachments(created_by);
