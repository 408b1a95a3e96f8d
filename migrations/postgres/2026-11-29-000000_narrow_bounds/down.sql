ALTER TABLE curriculum_activities ADD COLUMN lft integer, ADD COLUMN rgt integer;
UPDATE curriculum_activities a SET lft = b.lft, rgt = b.rgt FROM curriculum_bounds b WHERE b.id = a.id;
ALTER TABLE curriculum_activities ALTER COLUMN lft SET NOT NULL, ALTER COLUMN rgt SET NOT NULL,
    ADD CHECK (lft >= 1), ADD CHECK (rgt > lft), SET (fillfactor = 70);
DROP TABLE curriculum_bounds;
