ALTER TABLE activities DROP COLUMN curriculum_version;
