-- Procedures (standard work) with revisions, typed steps and step results (PostgreSQL).
-- Mirrors sqlite/0006_procedures.sql.
--
-- A procedure belongs to one site and its code is unique per site: access is granted per site,
-- and two plants may well both call their pump inspection "PM-PUMP-01".

CREATE TABLE procedures (
    id UUID PRIMARY KEY NOT NULL,
    site_id UUID NOT NULL REFERENCES sites(id),
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (site_id, code)
);
CREATE INDEX procedures_created_by ON procedures(created_by);

CREATE TABLE procedure_revisions (
    id UUID PRIMARY KEY NOT NULL,
    procedure_id UUID NOT NULL REFERENCES procedures(id),
    number BIGINT NOT NULL,
    state TEXT NOT NULL,
    notes TEXT,
    safety_notes TEXT,
    qualifications JSONB NOT NULL,
    estimated_minutes BIGINT,
    crafts JSONB NOT NULL,
    version BIGINT NOT NULL,
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ,
    published_by UUID REFERENCES users(id),
    UNIQUE (procedure_id, number)
);
CREATE INDEX procedure_revisions_created_by ON procedure_revisions(created_by);
CREATE INDEX procedure_revisions_published_by ON procedure_revisions(published_by);

CREATE TABLE procedure_steps (
    id UUID PRIMARY KEY NOT NULL,
    revision_id UUID NOT NULL REFERENCES procedure_revisions(id),
    position BIGINT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    instructions TEXT NOT NULL,
    required BOOLEAN NOT NULL,
    safety_note TEXT,
    raise_follow_up_on_fail BOOLEAN NOT NULL,
    params JSONB NOT NULL,
    UNIQUE (revision_id, position)
);

ALTER TABLE work_orders ADD COLUMN procedure_revision_id UUID REFERENCES procedure_revisions(id);
CREATE INDEX work_orders_procedure_revision ON work_orders(procedure_revision_id);

ALTER TABLE pm_plans ADD COLUMN procedure_revision_id UUID REFERENCES procedure_revisions(id);
CREATE INDEX pm_plans_procedure_revision ON pm_plans(procedure_revision_id);

-- One result per step of a work order; a failed step raises at most one follow-up request.
CREATE TABLE step_results (
    id UUID PRIMARY KEY NOT NULL,
    work_order_id UUID NOT NULL REFERENCES work_orders(id),
    step_id UUID NOT NULL REFERENCES procedure_steps(id),
    kind TEXT NOT NULL,
    answer JSONB NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    note TEXT,
    reading_id UUID REFERENCES meter_readings(id),
    follow_up_request_id UUID REFERENCES work_requests(id),
    recorded_by UUID REFERENCES users(id),
    recorded_at TIMESTAMPTZ NOT NULL,
    UNIQUE (work_order_id, step_id)
);
CREATE INDEX step_results_step ON step_results(step_id);
CREATE INDEX step_results_reading ON step_results(reading_id);
CREATE INDEX step_results_follow_up ON step_results(follow_up_request_id);
CREATE INDEX step_results_recorded_by ON step_results(recorded_by);
