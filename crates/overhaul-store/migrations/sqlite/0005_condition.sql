-- Condition monitoring (SQLite). Mirrors postgres/0005_condition.sql table for table, column for
-- column. Sensor sample times are epoch milliseconds (INTEGER); other instants are RFC 3339 text
-- bound from Rust.

CREATE TABLE signals (
    id BLOB PRIMARY KEY NOT NULL,
    asset_id BLOB NOT NULL REFERENCES assets(id),
    meter_id BLOB REFERENCES meters(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    unit TEXT NOT NULL,
    scale REAL NOT NULL,
    value_offset REAL NOT NULL,
    source_kind TEXT NOT NULL,
    -- identifies the source (topic + pointer, Sparkplug metric, OPC UA node); NULL when pushed
    source_key TEXT UNIQUE,
    -- the whole binding as JSON
    source TEXT NOT NULL,
    max_gap_s INTEGER NOT NULL,
    enabled INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (asset_id, name)
) STRICT;
CREATE INDEX signals_meter ON signals(meter_id);

CREATE TABLE signal_rules (
    id BLOB PRIMARY KEY NOT NULL,
    signal_id BLOB NOT NULL REFERENCES signals(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    priority TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (signal_id, name)
) STRICT;

-- Raw readings: compact rows, kept for the retention period. No foreign key to signals on
-- purpose: a per-row reference check (on PostgreSQL a trigger query per row) would cost more
-- than the insert itself at 100,000 readings a second; readings are written only by the
-- pipeline, for signals it has just loaded, and signals are never deleted.
CREATE TABLE readings (
    signal_id BLOB NOT NULL,
    ts_ms INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (signal_id, ts_ms)
) STRICT, WITHOUT ROWID;
CREATE INDEX readings_ts ON readings(ts_ms);

-- Hourly min/max/sum/count per signal, kept for years.
CREATE TABLE reading_rollups (
    signal_id BLOB NOT NULL,
    hour_ms INTEGER NOT NULL,
    min_value REAL NOT NULL,
    max_value REAL NOT NULL,
    sum_value REAL NOT NULL,
    count_value INTEGER NOT NULL,
    PRIMARY KEY (signal_id, hour_ms)
) STRICT, WITHOUT ROWID;

-- One alarm per rule (ISA-18.2 condition key: equipment, condition, limit).
CREATE TABLE alarms (
    id BLOB PRIMARY KEY NOT NULL,
    signal_id BLOB NOT NULL REFERENCES signals(id),
    rule_id BLOB NOT NULL UNIQUE REFERENCES signal_rules(id),
    state TEXT NOT NULL,
    priority TEXT NOT NULL,
    activated_at TEXT,
    acknowledged_at TEXT,
    acknowledged_by BLOB REFERENCES users(id),
    shelved_until TEXT,
    shelve_reason TEXT,
    suppressed INTEGER NOT NULL,
    chattering INTEGER NOT NULL,
    -- activation reading times (epoch ms) inside the chatter window, as a JSON array
    recent_activations TEXT NOT NULL,
    activation_count INTEGER NOT NULL,
    work_request_id BLOB REFERENCES work_requests(id),
    first_reading_ms INTEGER,
    last_reading_ms INTEGER,
    last_value REAL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX alarms_signal ON alarms(signal_id);
CREATE INDEX alarms_acknowledged_by ON alarms(acknowledged_by);
CREATE INDEX alarms_work_request ON alarms(work_request_id);
CREATE INDEX alarms_state ON alarms(state);

-- History of every alarm change, with the reading that caused it.
CREATE TABLE alarm_events (
    id BLOB PRIMARY KEY NOT NULL,
    alarm_id BLOB NOT NULL REFERENCES alarms(id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    reading_ms INTEGER,
    value REAL,
    actor_id BLOB REFERENCES users(id),
    actor_name TEXT NOT NULL,
    note TEXT
) STRICT;
CREATE INDEX alarm_events_alarm ON alarm_events(alarm_id, at);
CREATE INDEX alarm_events_actor ON alarm_events(actor_id);
