ALTER TABLE curriculum_activities ADD COLUMN lft INTEGER NOT NULL DEFAULT 0;
ALTER TABLE curriculum_activities ADD COLUMN rgt INTEGER NOT NULL DEFAULT 0;
UPDATE curriculum_activities SET
    lft = (SELECT lft FROM curriculum_bounds b WHERE b.id = curriculum_activities.id),
    rgt = (SELECT rgt FROM curriculum_bounds b WHERE b.id = curriculum_activities.id);
DROP TABLE curriculum_bounds;
