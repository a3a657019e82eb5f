-- Procedures (standard work) with revisions, typed steps and step results (SQLite).
-- Mirrors postgres/0006_procedures.sql.
--
-- A procedure belongs to one site and its code is unique per site: access is granted per site,
-- and two plants may well both call their pump inspection "PM-PUMP-01".

CREATE TABLE procedures (
    id BLOB PRIMARY KEY NOT NULL,
    site_id BLOB NOT NULL REFERENCES sites(id),
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_by BLOB REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (site_id, code)
) STRICT;
CREATE INDEX procedures_created_by ON procedures(created_by);

CREATE TABLE procedure_revisions (
    id BLOB PRIMARY KEY NOT NULL,
    procedure_id BLOB NOT NULL REFERENCES procedures(id),
    number INTEGER NOT NULL,
    state TEXT NOT NULL,
    notes TEXT,
    safety_notes TEXT,
    qualifications TEXT NOT NULL,
    estimated_minutes INTEGER,
    crafts TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_by BLOB REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    published_at TEXT,
    published_by BLOB REFERENCES users(id),
    UNIQUE (procedure_id, number)
) STRICT;
CREATE INDEX procedure_revisions_created_by ON procedure_revisions(created_by);
CREATE INDEX procedure_revisions_published_by ON procedure_revisions(published_by);

CREATE TABLE procedure_steps (
    id BLOB PRIMARY KEY NOT NULL,
    revision_id BLOB NOT NULL REFERENCES procedure_revisions(id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    instructions TEXT NOT NULL,
    required INTEGER NOT NULL,
    safety_note TEXT,
    raise_follow_up_on_fail INTEGER NOT NULL,
    params TEXT NOT NULL,
    UNIQUE (revision_id, position)
) STRICT;

ALTER TABLE work_orders ADD COLUMN procedure_revision_id BLOB REFERENCES procedure_revisions(id);
CREATE INDEX work_orders_procedure_revision ON work_orders(procedure_revision_id);

ALTER TABLE pm_plans ADD COLUMN procedure_revision_id BLOB REFERENCES procedure_revisions(id);
CREATE INDEX pm_plans_procedure_revision ON pm_plans(procedure_revision_id);

-- One result per step of a work order; a failed step raises at most one follow-up request.
CREATE TABLE step_results (
    id BLOB PRIMARY KEY NOT NULL,
    work_order_id BLOB NOT NULL REFERENCES work_orders(id),
    step_id BLOB NOT NULL REFERENCES procedure_steps(id),
    kind TEXT NOT NULL,
    answer TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    note TEXT,
    reading_id BLOB REFERENCES meter_readings(id),
    follow_up_request_id BLOB REFERENCES work_requests(id),
    recorded_by BLOB REFERENCES users(id),
    recorded_at TEXT NOT NULL,
    UNIQUE (work_order_id, step_id)
) STRICT;
CREATE INDEX step_results_step ON step_results(step_id);
CREATE INDEX step_results_reading ON step_results(reading_id);
CREATE INDEX step_results_follow_up ON step_results(follow_up_request_id);
CREATE INDEX step_results_recorded_by ON step_results(recorded_by);
