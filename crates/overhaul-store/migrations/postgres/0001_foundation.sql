-- Foundation schema (PostgreSQL). Mirrors sqlite/0001_foundation.sql table for table, column for
-- column. Instants are timestamptz bound from Rust; ids are UUIDv7 made in Rust.

CREATE TABLE sites (
    id UUID PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    business_hours TEXT NOT NULL,
    currency TEXT NOT NULL,
    allow_anonymous_requests BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id UUID PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT,
    is_active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_roles (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id),
    site_id UUID REFERENCES sites(id),
    role TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX user_roles_user ON user_roles(user_id);
CREATE INDEX user_roles_site ON user_roles(site_id);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE assets (
    id UUID PRIMARY KEY NOT NULL,
    site_id UUID NOT NULL REFERENCES sites(id),
    parent_id UUID REFERENCES assets(id),
    path TEXT COLLATE "C" NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    equipment_class TEXT,
    consequence BIGINT,
    likelihood BIGINT,
    status TEXT NOT NULL,
    replacement_value BIGINT,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (site_id, code)
);
CREATE INDEX assets_parent ON assets(parent_id);
CREATE INDEX assets_path ON assets(path);

CREATE TABLE meters (
    id UUID PRIMARY KEY NOT NULL,
    asset_id UUID NOT NULL REFERENCES assets(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    unit TEXT NOT NULL,
    last_value DOUBLE PRECISION,
    last_read_at TIMESTAMPTZ,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (asset_id, code)
);

CREATE TABLE meter_readings (
    id UUID PRIMARY KEY NOT NULL,
    meter_id UUID NOT NULL REFERENCES meters(id),
    read_at TIMESTAMPTZ NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL,
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX meter_readings_meter ON meter_readings(meter_id, read_at);
CREATE INDEX meter_readings_created_by ON meter_readings(created_by);

CREATE TABLE work_orders (
    id UUID PRIMARY KEY NOT NULL,
    site_id UUID NOT NULL REFERENCES sites(id),
    asset_id UUID NOT NULL REFERENCES assets(id),
    number TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    type TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    hold_reason TEXT,
    request_id UUID,
    created_by UUID REFERENCES users(id),
    assignee_id UUID REFERENCES users(id),
    due_at TIMESTAMPTZ,
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    failure_impact TEXT,
    failure_mode TEXT,
    failure_mechanism TEXT,
    failure_cause TEXT,
    failure_detection TEXT,
    failure_activity TEXT,
    failure_notes TEXT,
    attachments JSONB NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX work_orders_site ON work_orders(site_id, created_at);
CREATE INDEX work_orders_asset ON work_orders(asset_id, status, created_at);
CREATE INDEX work_orders_request ON work_orders(request_id);
CREATE INDEX work_orders_created_by ON work_orders(created_by);
CREATE INDEX work_orders_assignee ON work_orders(assignee_id);
CREATE INDEX work_orders_created ON work_orders(created_at, id);

CREATE TABLE work_requests (
    id UUID PRIMARY KEY NOT NULL,
    site_id UUID NOT NULL REFERENCES sites(id),
    asset_id UUID NOT NULL REFERENCES assets(id),
    number TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    reject_reason TEXT,
    work_order_id UUID REFERENCES work_orders(id),
    requester_name TEXT,
    requested_by UUID REFERENCES users(id),
    attachments JSONB NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX work_requests_site ON work_requests(site_id, created_at);
CREATE INDEX work_requests_asset ON work_requests(asset_id);
CREATE INDEX work_requests_work_order ON work_requests(work_order_id);
CREATE INDEX work_requests_requested_by ON work_requests(requested_by);

CREATE TABLE downtime_events (
    id UUID PRIMARY KEY NOT NULL,
    asset_id UUID NOT NULL REFERENCES assets(id),
    work_order_id UUID REFERENCES work_orders(id),
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    planned BOOLEAN NOT NULL,
    reason TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX downtime_events_asset ON downtime_events(asset_id, started_at);
CREATE INDEX downtime_events_work_order ON downtime_events(work_order_id);
CREATE INDEX downtime_events_created_by ON downtime_events(created_by);

CREATE TABLE asset_state_intervals (
    id UUID PRIMARY KEY NOT NULL,
    asset_id UUID NOT NULL REFERENCES assets(id),
    state TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    reason TEXT,
    downtime_id UUID REFERENCES downtime_events(id)
);
CREATE INDEX asset_state_intervals_asset ON asset_state_intervals(asset_id, started_at);
CREATE INDEX asset_state_intervals_downtime ON asset_state_intervals(downtime_id);

-- work_orders and work_requests point at each other; the second link is added once both exist.
ALTER TABLE work_orders ADD CONSTRAINT work_orders_request_id_fkey
    FOREIGN KEY (request_id) REFERENCES work_requests(id);

CREATE TABLE work_order_status_changes (
    id UUID PRIMARY KEY NOT NULL,
    work_order_id UUID NOT NULL REFERENCES work_orders(id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT,
    changed_by UUID REFERENCES users(id),
    changed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX work_order_status_changes_wo ON work_order_status_changes(work_order_id, changed_at);
CREATE INDEX work_order_status_changes_by ON work_order_status_changes(changed_by);

CREATE TABLE labor_entries (
    id UUID PRIMARY KEY NOT NULL,
    work_order_id UUID NOT NULL REFERENCES work_orders(id),
    user_id UUID REFERENCES users(id),
    craft TEXT,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ NOT NULL,
    minutes BIGINT NOT NULL,
    notes TEXT,
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX labor_entries_wo ON labor_entries(work_order_id);
CREATE INDEX labor_entries_user ON labor_entries(user_id);
CREATE INDEX labor_entries_created_by ON labor_entries(created_by);

CREATE TABLE work_order_comments (
    id UUID PRIMARY KEY NOT NULL,
    work_order_id UUID NOT NULL REFERENCES work_orders(id),
    author_id UUID REFERENCES users(id),
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX work_order_comments_wo ON work_order_comments(work_order_id, created_at);
CREATE INDEX work_order_comments_author ON work_order_comments(author_id);

CREATE TABLE failure_codes (
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (kind, code)
);

CREATE TABLE counters (
    name TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);

CREATE TABLE idempotency_keys (
    user_id UUID NOT NULL REFERENCES users(id),
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code BIGINT,
    response_body TEXT,
    response_headers TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    at TIMESTAMPTZ NOT NULL,
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
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The audit trail is append-only: updates and deletes are refused by the database itself.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Full-text search over work-order title and description.
ALTER TABLE work_orders ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || description)) STORED;
CREATE INDEX work_orders_search ON work_orders USING GIN (search);
