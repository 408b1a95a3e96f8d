DROP INDEX curriculum_activities_updated;
ALTER TABLE tenants DROP COLUMN curriculum_records;
