-- Package revisions (issue 9): every package a SCORM language version has had and is kept.
-- language_versions keeps the current revision's data (what launches read); a revision row
-- holds that data as JSON (`content`, a ScormContent) so a rollback can restore it.
ALTER TABLE language_versions ADD COLUMN revision INTEGER;
UPDATE language_versions SET revision = 1 WHERE storage_prefix IS NOT NULL;

CREATE TABLE package_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    language_version_id BIGINT NOT NULL REFERENCES language_versions (id) ON DELETE CASCADE,
    revision INTEGER NOT NULL CHECK (revision >= 1),
    -- The key that uploaded it; no foreign key: the record outlives a revoked key.
    api_key_id BIGINT,
    uploaded_at TIMESTAMP NOT NULL,
    -- When another revision became current instead (null while this one is current): a
    -- revision superseded within the launch-URL lifetime is never dropped.
    superseded_at TIMESTAMP,
    package_sha256 TEXT NOT NULL,
    storage_prefix TEXT NOT NULL,
    content TEXT NOT NULL,
    UNIQUE (language_version_id, revision)
);
CREATE INDEX package_revisions_prefix ON package_revisions (storage_prefix);

INSERT INTO package_revisions (language_version_id, revision, api_key_id, uploaded_at, package_sha256, storage_prefix, content)
SELECT id, 1, NULL, created_at, COALESCE(package_sha256, ''), storage_prefix,
       json_object(
           'scorm_version', scorm_version, 'title', scorm_title, 'description', description,
           'launch_href', launch_href, 'mastery_score', mastery_score,
           'completion_threshold', completion_threshold, 'items', json(COALESCE(items, '[]')),
           'file_count', COALESCE(file_count, 0), 'total_bytes', COALESCE(total_bytes, 0),
           'package_sha256', COALESCE(package_sha256, ''), 'storage_prefix', storage_prefix)
FROM language_versions WHERE storage_prefix IS NOT NULL AND launch_href IS NOT NULL;

-- The audit trail: one row per successful write of either API. Keys and activities are
-- referenced by id without foreign keys: the trail outlives what it describes.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    api_key_id BIGINT,
    origin TEXT,
    action TEXT NOT NULL,
    activity_id BIGINT,
    record_id BIGINT,
    changes TEXT NOT NULL,
    request_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_tenant_time ON audit_events (tenant_id, created_at);
CREATE INDEX audit_events_activity ON audit_events (tenant_id, activity_id) WHERE activity_id IS NOT NULL;
CREATE INDEX audit_events_record ON audit_events (tenant_id, record_id) WHERE record_id IS NOT NULL;
