-- The work-order list (open work of an asset subtree, newest first) reads (created_at, id)
-- straight from this index and sorts only those, then fetches one page of rows.
DROP INDEX work_orders_asset;
CREATE INDEX work_orders_asset ON work_orders(asset_id, status, created_at, id);
