DROP INDEX curriculum_activities_account;
CREATE INDEX curriculum_activities_account ON curriculum_activities (account_id, id);
DROP INDEX activities_parent;
DROP INDEX curriculum_activities_course;
DROP INDEX curriculum_activities_parent;
