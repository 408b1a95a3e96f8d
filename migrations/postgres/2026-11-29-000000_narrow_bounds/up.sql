-- A path's nested-set bounds in a narrow table of their own (see the SQLite migration):
-- renumbering rewrites small tuples, heap-only (no index covers lft/rgt, 30 % free per page).
CREATE TABLE curriculum_bounds (
    id bigint PRIMARY KEY REFERENCES curriculum_activities (id) ON DELETE CASCADE,
    curriculum_id bigint NOT NULL,
    lft integer NOT NULL CHECK (lft >= 1),
    rgt integer NOT NULL CHECK (rgt > lft)
) WITH (fillfactor = 70);
CREATE INDEX curriculum_bounds_path ON curriculum_bounds (curriculum_id);
INSERT INTO curriculum_bounds (id, curriculum_id, lft, rgt)
    SELECT id, curriculum_id, lft, rgt FROM curriculum_activities;
ALTER TABLE curriculum_activities DROP COLUMN lft, DROP COLUMN rgt;
-- Its rows are no longer renumbered: no need for free room on its pages any more.
ALTER TABLE curriculum_activities SET (fillfactor = 100);
