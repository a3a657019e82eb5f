-- Preventive maintenance (SQLite). Mirrors postgres/0002_pm.sql.

CREATE TABLE site_holidays (
    id BLOB PRIMARY KEY NOT NULL,
    site_id BLOB NOT NULL REFERENCES sites(id),
    day TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (site_id, day)
) STRICT;

CREATE TABLE pm_plans (
    id BLOB PRIMARY KEY NOT NULL,
    site_id BLOB NOT NULL REFERENCES sites(id),
    asset_id BLOB NOT NULL REFERENCES assets(id),
    meter_id BLOB REFERENCES meters(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    type TEXT NOT NULL,
    priority TEXT NOT NULL,
    schedule TEXT NOT NULL,
    status TEXT NOT NULL,
    cursor TEXT,
    last_completed_at TEXT,
    last_completion_reading REAL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX pm_plans_site ON pm_plans(site_id);
CREATE INDEX pm_plans_asset ON pm_plans(asset_id);
CREATE INDEX pm_plans_meter ON pm_plans(meter_id);

CREATE TABLE pm_occurrences (
    id BLOB PRIMARY KEY NOT NULL,
    plan_id BLOB NOT NULL REFERENCES pm_plans(id),
    slot TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    nominal_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    create_at TEXT NOT NULL,
    work_order_id BLOB REFERENCES work_orders(id),
    created_at TEXT NOT NULL,
    UNIQUE (plan_id, slot)
) STRICT;
CREATE INDEX pm_occurrences_work_order ON pm_occurrences(work_order_id);
CREATE INDEX pm_occurrences_due ON pm_occurrences(plan_id, due_at);

ALTER TABLE work_orders ADD COLUMN pm_plan_id BLOB REFERENCES pm_plans(id);
CREATE INDEX work_orders_pm_plan ON work_orders(pm_plan_id);
