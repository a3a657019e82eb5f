-- The asset tree one level at a time, without reading a site's other assets:
-- a site's roots (found first, on their own; see store::asset::list) ...
CREATE INDEX assets_site_roots ON assets(site_id) WHERE parent_id IS NULL;
-- ... and a parent's children in code order.
CREATE INDEX assets_parent_code ON assets(parent_id, code);
