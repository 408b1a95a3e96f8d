-- Curricula's schema on SQLite (the embedded default).
-- Ids are 64-bit; timestamps are UTC; booleans are 0/1.

CREATE TABLE tenants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    default_language TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE tenant_languages (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    PRIMARY KEY (tenant_id, code)
);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_hash TEXT NOT NULL UNIQUE,
    origin TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    UNIQUE (tenant_id, username)
);

-- The id is the partner's own department number, unique within the tenant.
CREATE TABLE organisations (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id BIGINT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL CHECK (kind IN ('scorm', 'course')),
    name TEXT NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES users (id),
    all_organisations BOOLEAN NOT NULL,
    parent_id BIGINT REFERENCES activities (id),
    in_catalog BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX activities_tenant ON activities (tenant_id, id);

CREATE TABLE activity_organisations (
    activity_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL,
    organisation_id BIGINT NOT NULL,
    PRIMARY KEY (activity_id, organisation_id),
    FOREIGN KEY (tenant_id, organisation_id) REFERENCES organisations (tenant_id, id)
);

CREATE TABLE language_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    title TEXT NOT NULL,
    scorm_version TEXT,
    scorm_title TEXT,
    description TEXT,
    launch_href TEXT,
    mastery_score DOUBLE,
    completion_threshold DOUBLE,
    items TEXT,
    file_count BIGINT,
    total_bytes BIGINT,
    package_sha256 TEXT,
    storage_prefix TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (activity_id, language)
);
CREATE INDEX language_versions_prefix ON language_versions (storage_prefix);

CREATE TABLE curriculum_activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    curriculum_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES tenants (id),
    parent_id BIGINT REFERENCES curriculum_activities (id) ON DELETE CASCADE,
    course_id BIGINT REFERENCES activities (id),
    name TEXT NOT NULL,
    lft INTEGER NOT NULL,
    rgt INTEGER NOT NULL,
    updated_by BIGINT,
    updated_on TIMESTAMP NOT NULL,
    due_days INTEGER,
    weight INTEGER,
    exempt_if_mastered BOOLEAN,
    description TEXT,
    lock_until DATE,
    code TEXT,
    initial_view TEXT CHECK (initial_view IN ('collapsed', 'full')),
    required_for_specified_control_mode BOOLEAN,
    skip_interstitial_page BOOLEAN,
    control_mode TEXT CHECK (control_mode IN ('flow', 'choice', 'optional')),
    completions_min INTEGER,
    attempts_max INTEGER,
    CHECK ((parent_id IS NULL) = (course_id IS NULL))
);
CREATE INDEX curriculum_activities_path ON curriculum_activities (curriculum_id, lft);
CREATE INDEX curriculum_activities_account ON curriculum_activities (account_id, id);
CREATE UNIQUE INDEX curriculum_activities_once ON curriculum_activities (curriculum_id, course_id)
    WHERE course_id IS NOT NULL;
