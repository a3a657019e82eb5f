-- Uploaded files (PostgreSQL). Mirrors sqlite/0007_attachments.sql. The bytes live in `data`, or
-- on disk under the configured directory (then `data` is NULL and the file is named by `id`).

CREATE TABLE attachments (
    id UUID PRIMARY KEY NOT NULL,
    site_id UUID NOT NULL REFERENCES sites(id),
    owner_kind TEXT NOT NULL,
    owner_id UUID NOT NULL,
    filename TEXT NOT NULL,
    kind TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA,
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX attachments_owner ON attachments(owner_kind, owner_id, created_at);
CREATE INDEX attachments_site ON attachments(site_id);
CREATE INDEX attachments_created_by ON attachments(created_by);
