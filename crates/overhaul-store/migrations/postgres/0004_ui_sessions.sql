-- Browser sessions and login throttling (PostgreSQL). Mirrors sqlite/0004_ui_sessions.sql.
-- Sessions live in the database so that several instances share them; the cookie holds a random
-- secret and only its SHA-256 is stored here.

CREATE TABLE sessions (
    id UUID PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id UUID NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- Failed logins per key ("account:<email>" or "ip:<address>") in the current window.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY NOT NULL,
    failures BIGINT NOT NULL,
    window_started_at TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ
);
