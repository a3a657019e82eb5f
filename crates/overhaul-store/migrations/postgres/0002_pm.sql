-- Preventive maintenance (PostgreSQL). Mirrors sqlite/0002_pm.sql.

CREATE TABLE site_holidays (
    id UUID PRIMARY KEY NOT NULL,
    site_id UUID NOT NULL REFERENCES sites(id),
    day DATE NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (site_id, day)
);

CREATE TABLE pm_plans (
    id UUID PRIMARY KEY NOT NULL,
    site_id UUID NOT NULL REFERENCES sites(id),
    asset_id UUID NOT NULL REFERENCES assets(id),
    meter_id UUID REFERENCES meters(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    type TEXT NOT NULL,
    priority TEXT NOT NULL,
    schedule TEXT NOT NULL,
    status TEXT NOT NULL,
    cursor TEXT,
    last_completed_at TIMESTAMPTZ,
    last_completion_reading DOUBLE PRECISION,
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX pm_plans_site ON pm_plans(site_id);
CREATE INDEX pm_plans_asset ON pm_plans(asset_id);
CREATE INDEX pm_plans_meter ON pm_plans(meter_id);

CREATE TABLE pm_occurrences (
    id UUID PRIMARY KEY NOT NULL,
    plan_id UUID NOT NULL REFERENCES pm_plans(id),
    slot TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    nominal_at TIMESTAMPTZ NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    create_at TIMESTAMPTZ NOT NULL,
    work_order_id UUID REFERENCES work_orders(id),
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (plan_id, slot)
);
CREATE INDEX pm_occurrences_work_order ON pm_occurrences(work_order_id);
CREATE INDEX pm_occurrences_due ON pm_occurrences(plan_id, due_at);

ALTER TABLE work_orders ADD COLUMN pm_plan_id UUID REFERENCES pm_plans(id);
CREATE INDEX work_orders_pm_plan ON work_orders(pm_plan_id);
