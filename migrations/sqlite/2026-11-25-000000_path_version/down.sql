DROP INDEX curriculum_activities_path;
CREATE INDEX curriculum_activities_path ON curriculum_activities (curriculum_id, lft);
ALTER TABLE activities DROP COLUMN curriculum_version;
