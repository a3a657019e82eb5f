-- Foundation schema (SQLite). Mirrors postgres/0001_foundation.sql table for table, column for
-- column. Instants are RFC 3339 text bound from Rust; ids are UUIDv7 blobs made in Rust.

CREATE TABLE sites (
    id BLOB PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    business_hours TEXT NOT NULL,
    currency TEXT NOT NULL,
    allow_anonymous_requests INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id BLOB PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT,
    is_active INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE user_roles (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users(id),
    site_id BLOB REFERENCES sites(id),
    role TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX user_roles_user ON user_roles(user_id);
CREATE INDEX user_roles_site ON user_roles(site_id);

CREATE TABLE api_tokens (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE assets (
    id BLOB PRIMARY KEY NOT NULL,
    site_id BLOB NOT NULL REFERENCES sites(id),
    parent_id BLOB REFERENCES assets(id),
    path TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    equipment_class TEXT,
    consequence INTEGER,
    likelihood INTEGER,
    status TEXT NOT NULL,
    replacement_value INTEGER,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (site_id, code)
) STRICT;
CREATE INDEX assets_parent ON assets(parent_id);
CREATE INDEX assets_path ON assets(path);

CREATE TABLE downtime_events (
    id BLOB PRIMARY KEY NOT NULL,
    asset_id BLOB NOT NULL REFERENCES assets(id),
    work_order_id BLOB REFERENCES work_orders(id),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    planned INTEGER NOT NULL,
    reason TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_by BLOB REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX downtime_events_asset ON downtime_events(asset_id, started_at);
CREATE INDEX downtime_events_work_order ON downtime_events(work_order_id);
CREATE INDEX downtime_events_created_by ON downtime_events(created_by);

CREATE TABLE asset_state_intervals (
    id BLOB PRIMARY KEY NOT NULL,
    asset_id BLOB NOT NULL REFERENCES assets(id),
    state TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    reason TEXT,
    downtime_id BLOB REFERENCES downtime_events(id)
) STRICT;
CREATE INDEX asset_state_intervals_asset ON asset_state_intervals(asset_id, started_at);
CREATE INDEX asset_state_intervals_downtime ON asset_state_intervals(downtime_id);

CREATE TABLE meters (
    id BLOB PRIMARY KEY NOT NULL,
    asset_id BLOB NOT NULL REFERENCES assets(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    unit TEXT NOT NULL,
    last_value REAL,
    last_read_at TEXT,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (asset_id, code)
) STRICT;

CREATE TABLE meter_readings (
    id BLOB PRIMARY KEY NOT NULL,
    meter_id BLOB NOT NULL REFERENCES meters(id),
    read_at TEXT NOT NULL,
    value REAL NOT NULL,
    source TEXT NOT NULL,
    created_by BLOB REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX meter_readings_meter ON meter_readings(meter_id, read_at);
CREATE INDEX meter_readings_created_by ON meter_readings(created_by);

CREATE TABLE work_orders (
    id BLOB PRIMARY KEY NOT NULL,
    site_id BLOB NOT NULL REFERENCES sites(id),
    asset_id BLOB NOT NULL REFERENCES assets(id),
    number TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    type TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    hold_reason TEXT,
    request_id BLOB REFERENCES work_requests(id),
    created_by BLOB REFERENCES users(id),
    assignee_id BLOB REFERENCES users(id),
    due_at TEXT,
    started_at TEXT,
    completed_at TEXT,
    closed_at TEXT,
    failure_impact TEXT,
    failure_mode TEXT,
    failure_mechanism TEXT,
    failure_cause TEXT,
    failure_detection TEXT,
    failure_activity TEXT,
    failure_notes TEXT,
    attachments TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX work_orders_site ON work_orders(site_id, created_at);
CREATE INDEX work_orders_asset ON work_orders(asset_id, status, created_at);
CREATE INDEX work_orders_request ON work_orders(request_id);
CREATE INDEX work_orders_created_by ON work_orders(created_by);
CREATE INDEX work_orders_assignee ON work_orders(assignee_id);
CREATE INDEX work_orders_created ON work_orders(created_at, id);

CREATE TABLE work_requests (
    id BLOB PRIMARY KEY NOT NULL,
    site_id BLOB NOT NULL REFERENCES sites(id),
    asset_id BLOB NOT NULL REFERENCES assets(id),
    number TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    reject_reason TEXT,
    work_order_id BLOB REFERENCES work_orders(id),
    requester_name TEXT,
    requested_by BLOB REFERENCES users(id),
    attachments TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX work_requests_site ON work_requests(site_id, created_at);
CREATE INDEX work_requests_asset ON work_requests(asset_id);
CREATE INDEX work_requests_work_order ON work_requests(work_order_id);
CREATE INDEX work_requests_requested_by ON work_requests(requested_by);

CREATE TABLE work_order_status_changes (
    id BLOB PRIMARY KEY NOT NULL,
    work_order_id BLOB NOT NULL REFERENCES work_orders(id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT,
    changed_by BLOB REFERENCES users(id),
    changed_at TEXT NOT NULL
) STRICT;
CREATE INDEX work_order_status_changes_wo ON work_order_status_changes(work_order_id, changed_at);
CREATE INDEX work_order_status_changes_by ON work_order_status_changes(changed_by);

CREATE TABLE labor_entries (
    id BLOB PRIMARY KEY NOT NULL,
    work_order_id BLOB NOT NULL REFERENCES work_orders(id),
    user_id BLOB REFERENCES users(id),
    craft TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    minutes INTEGER NOT NULL,
    notes TEXT,
    created_by BLOB REFERENCES users(id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX labor_entries_wo ON labor_entries(work_order_id);
CREATE INDEX labor_entries_user ON labor_entries(user_id);
CREATE INDEX labor_entries_created_by ON labor_entries(created_by);

CREATE TABLE work_order_comments (
    id BLOB PRIMARY KEY NOT NULL,
    work_order_id BLOB NOT NULL REFERENCES work_orders(id),
    author_id BLOB REFERENCES users(id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX work_order_comments_wo ON work_order_comments(work_order_id, created_at);
CREATE INDEX work_order_comments_author ON work_order_comments(author_id);

CREATE TABLE failure_codes (
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (kind, code)
) STRICT;

CREATE TABLE counters (
    name TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) STRICT;

CREATE TABLE idempotency_keys (
    user_id BLOB NOT NULL REFERENCES users(id),
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER,
    response_body TEXT,
    response_headers TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
) STRICT;

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,
    actor_id TEXT,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The audit trail is append-only: updates and deletes are refused by the database itself.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Full-text search over work-order title and description.
CREATE VIRTUAL TABLE work_orders_fts USING fts5(title, description, content='work_orders', content_rowid='rowid');
CREATE TRIGGER work_orders_fts_insert AFTER INSERT ON work_orders BEGIN
    INSERT INTO work_orders_fts(rowid, title, description) VALUES (new.rowid, new.title, new.description);
END;
CREATE TRIGGER work_orders_fts_delete AFTER DELETE ON work_orders BEGIN
    INSERT INTO work_orders_fts(work_orders_fts, rowid, title, description) VALUES ('delete', old.rowid, old.title, old.description);
END;
CREATE TRIGGER work_orders_fts_update AFTER UPDATE OF title, description ON work_orders BEGIN
    INSERT INTO work_orders_fts(work_orders_fts, rowid, title, description) VALUES ('delete', old.rowid, old.title, old.description);
    INSERT INTO work_orders_fts(rowid, title, description) VALUES (new.rowid, new.title, new.description);
END;
