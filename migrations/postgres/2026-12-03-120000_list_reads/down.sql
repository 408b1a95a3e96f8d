DROP INDEX curriculum_bounds_path;
CREATE INDEX curriculum_bounds_path ON curriculum_bounds (curriculum_id);
DROP INDEX curriculum_activities_updated;
ALTER TABLE tenants DROP COLUMN curriculum_records;
