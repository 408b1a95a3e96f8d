-- The lookups the Postgres schema indexes too: a section's entries (the cascade when a section
-- is destroyed), the paths an activity is in, the activities placed under a course, and a
-- tenant's records in List order.
CREATE INDEX curriculum_activities_parent ON curriculum_activities (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX curriculum_activities_course ON curriculum_activities (course_id) WHERE course_id IS NOT NULL;
CREATE INDEX activities_parent ON activities (parent_id) WHERE parent_id IS NOT NULL;
DROP INDEX curriculum_activities_account;
CREATE INDEX curriculum_activities_account ON curriculum_activities (account_id, curriculum_id);
