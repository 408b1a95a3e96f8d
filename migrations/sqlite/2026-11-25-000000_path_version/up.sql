-- Bumped by every write of a course's curriculum, in the same transaction: a cached copy of
-- the path is used only while its version is current.
ALTER TABLE activities ADD COLUMN curriculum_version BIGINT NOT NULL DEFAULT 0;

-- A path's rows are found by curriculum_id and sorted in memory (a path is small); keeping
-- lft out of the index spares a renumbering one index update per row.
DROP INDEX curriculum_activities_path;
CREATE INDEX curriculum_activities_path ON curriculum_activities (curriculum_id);
