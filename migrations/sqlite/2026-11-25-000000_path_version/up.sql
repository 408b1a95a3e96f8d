-- Bumped by every write of a course's curriculum, in the same transaction: a cached copy of
-- the path is used only while its version is current.
ALTER TABLE activities ADD COLUMN curriculum_version BIGINT NOT NULL DEFAULT 0;
