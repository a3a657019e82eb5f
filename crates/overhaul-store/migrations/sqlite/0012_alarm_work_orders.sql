-- Alarm → work order from a template (SQLite). Mirrors postgres/0012_alarm_work_orders.sql.
-- A rule may carry a work-order template (JSON: title, type, priority, procedure revision,
-- estimates); NULL keeps the default of raising a work request.
ALTER TABLE signal_rules ADD COLUMN work_template TEXT;
-- The work order an alarm raised from its rule's template; activations are added to it while
-- it is open.
ALTER TABLE alarms ADD COLUMN work_order_id BLOB REFERENCES work_orders(id);
CREATE INDEX alarms_work_order ON alarms(work_order_id);
