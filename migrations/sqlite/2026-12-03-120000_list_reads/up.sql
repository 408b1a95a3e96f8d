-- Lists read their page in SQL (issue 14): the tenant's record count is kept with the tenant,
-- changed in the transaction of every path change, so that an unfiltered page's total is one
-- row read; `updated_on` ranges are served by an index, and the order of a List (path, then
-- `lft`) by the bounds' index, so that a page stops after its rows.
ALTER TABLE tenants ADD COLUMN curriculum_records BIGINT NOT NULL DEFAULT 0;
UPDATE tenants SET curriculum_records = (SELECT count(*) FROM curriculum_activities WHERE account_id = tenants.id);
CREATE INDEX curriculum_activities_updated ON curriculum_activities (account_id, updated_on);
DROP INDEX curriculum_bounds_path;
CREATE INDEX curriculum_bounds_path ON curriculum_bounds (curriculum_id, lft);
