-- Learners (issue 15): users get a profile, and enrollments, attempts and the runtime data of
-- each SCO of an attempt are kept. See docs/LEARNERS.md.
ALTER TABLE users ADD COLUMN first_name TEXT;
ALTER TABLE users ADD COLUMN last_name TEXT;
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN code TEXT;
ALTER TABLE users ADD COLUMN created_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
ALTER TABLE users ADD COLUMN updated_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
-- Users made before profiles existed take their tenant's creation time.
UPDATE users SET created_at = (SELECT created_at FROM tenants WHERE tenants.id = users.tenant_id),
                 updated_at = (SELECT created_at FROM tenants WHERE tenants.id = users.tenant_id);
CREATE UNIQUE INDEX users_code ON users (tenant_id, code) WHERE code IS NOT NULL;
CREATE INDEX users_updated ON users (tenant_id, updated_at);

CREATE TABLE enrollments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    success TEXT NOT NULL,
    score DOUBLE,
    attempts INTEGER NOT NULL DEFAULT 0,
    total_time_seconds DOUBLE NOT NULL DEFAULT 0,
    language TEXT,
    enrolled_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    completed_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (tenant_id, user_id, course_id)
);
CREATE INDEX enrollments_course ON enrollments (tenant_id, course_id);
CREATE INDEX enrollments_status ON enrollments (tenant_id, status);
CREATE INDEX enrollments_updated ON enrollments (tenant_id, updated_at);
CREATE INDEX enrollments_completed ON enrollments (tenant_id, completed_at) WHERE completed_at IS NOT NULL;

CREATE TABLE attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    enrollment_id BIGINT NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    number INTEGER NOT NULL CHECK (number >= 1),
    language TEXT NOT NULL,
    revision INTEGER NOT NULL,
    storage_prefix TEXT NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    success TEXT NOT NULL,
    score DOUBLE,
    total_time_seconds DOUBLE NOT NULL DEFAULT 0,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (enrollment_id, number)
);

CREATE TABLE sco_runtimes (
    attempt_id BIGINT NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
    sco TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (attempt_id, sco)
);
