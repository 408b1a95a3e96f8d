DROP TABLE audit_events;
DROP TABLE package_revisions;
ALTER TABLE language_versions DROP COLUMN revision;
