-- A path's nested-set bounds live in a narrow table of their own: moving a record can
-- renumber every row of a path, and rewriting four integers per row costs a fraction of
-- rewriting the whole record with its every attribute (docs/CURRICULUM.md, "Persisting").
CREATE TABLE curriculum_bounds (
    id INTEGER PRIMARY KEY REFERENCES curriculum_activities (id) ON DELETE CASCADE,
    curriculum_id BIGINT NOT NULL,
    lft INTEGER NOT NULL,
    rgt INTEGER NOT NULL
);
CREATE INDEX curriculum_bounds_path ON curriculum_bounds (curriculum_id);
INSERT INTO curriculum_bounds (id, curriculum_id, lft, rgt)
    SELECT id, curriculum_id, lft, rgt FROM curriculum_activities;
ALTER TABLE curriculum_activities DROP COLUMN lft;
ALTER TABLE curriculum_activities DROP COLUMN rgt;
