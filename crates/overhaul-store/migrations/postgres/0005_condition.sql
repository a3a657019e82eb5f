-- Condition monitoring (PostgreSQL). Mirrors sqlite/0005_condition.sql table for table, column for
-- column. Sensor sample times are epoch milliseconds (BIGINT); other instants are TIMESTAMPTZ
-- bound from Rust.

CREATE TABLE signals (
    id UUID PRIMARY KEY NOT NULL,
    asset_id UUID NOT NULL REFERENCES assets(id),
    meter_id UUID REFERENCES meters(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    unit TEXT NOT NULL,
    scale DOUBLE PRECISION NOT NULL,
    value_offset DOUBLE PRECISION NOT NULL,
    source_kind TEXT NOT NULL,
    -- identifies the source (topic + pointer, Sparkplug metric, OPC UA node); NULL when pushed
    source_key TEXT UNIQUE,
    -- the whole binding as JSON
    source TEXT NOT NULL,
    max_gap_s BIGINT NOT NULL,
    enabled BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (asset_id, name)
);
CREATE INDEX signals_meter ON signals(meter_id);

CREATE TABLE signal_rules (
    id UUID PRIMARY KEY NOT NULL,
    signal_id UUID NOT NULL REFERENCES signals(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    priority TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (signal_id, name)
);

-- Raw readings: compact rows, kept for the retention period. No foreign key to signals on
-- purpose: a per-row reference check (on PostgreSQL a trigger query per row) would cost more
-- than the insert itself at 100,000 readings a second; readings are written only by the
-- pipeline, for signals it has just loaded, and signals are never deleted.
CREATE TABLE readings (
    signal_id UUID NOT NULL,
    ts_ms BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (signal_id, ts_ms)
);
CREATE INDEX readings_ts ON readings(ts_ms);

-- Hourly min/max/sum/count per signal, kept for years.
CREATE TABLE reading_rollups (
    signal_id UUID NOT NULL,
    hour_ms BIGINT NOT NULL,
    min_value DOUBLE PRECISION NOT NULL,
    max_value DOUBLE PRECISION NOT NULL,
    sum_value DOUBLE PRECISION NOT NULL,
    count_value BIGINT NOT NULL,
    PRIMARY KEY (signal_id, hour_ms)
);

-- One alarm per rule (ISA-18.2 condition key: equipment, condition, limit).
CREATE TABLE alarms (
    id UUID PRIMARY KEY NOT NULL,
    signal_id UUID NOT NULL REFERENCES signals(id),
    rule_id UUID NOT NULL UNIQUE REFERENCES signal_rules(id),
    state TEXT NOT NULL,
    priority TEXT NOT NULL,
    activated_at TIMESTAMPTZ,
    acknowledged_at TIMESTAMPTZ,
    acknowledged_by UUID REFERENCES users(id),
    shelved_until TIMESTAMPTZ,
    shelve_reason TEXT,
    suppressed BOOLEAN NOT NULL,
    chattering BOOLEAN NOT NULL,
    -- activation reading times (epoch ms) inside the chatter window, as a JSON array
    recent_activations TEXT NOT NULL,
    activation_count BIGINT NOT NULL,
    work_request_id UUID REFERENCES work_requests(id),
    first_reading_ms BIGINT,
    last_reading_ms BIGINT,
    last_value DOUBLE PRECISION,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX alarms_signal ON alarms(signal_id);
CREATE INDEX alarms_acknowledged_by ON alarms(acknowledged_by);
CREATE INDEX alarms_work_request ON alarms(work_request_id);
CREATE INDEX alarms_state ON alarms(state);

-- History of every alarm change, with the reading that caused it.
CREATE TABLE alarm_events (
    id UUID PRIMARY KEY NOT NULL,
    alarm_id UUID NOT NULL REFERENCES alarms(id),
    at TIMESTAMPTZ NOT NULL,
    kind TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    reading_ms BIGINT,
    value DOUBLE PRECISION,
    actor_id UUID REFERENCES users(id),
    actor_name TEXT NOT NULL,
    note TEXT
);
CREATE INDEX alarm_events_alarm ON alarm_events(alarm_id, at);
CREATE INDEX alarm_events_actor ON alarm_events(actor_id);
