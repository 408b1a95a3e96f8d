-- One event log, appended in the transaction of each change (issue 17): the audit trail, the
-- change feed and the webhooks read it. `tx` orders the feed with `id`; on SQLite, where one
-- writer commits at a time, ids are handed out in commit order and `tx` is always 0 (on
-- Postgres it is the writing transaction's id: see docs/API.md, "Change feed").
-- Keys, activities, users and enrollments are referenced by id without foreign keys: the log
-- outlives what it describes.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tx BIGINT NOT NULL DEFAULT 0,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    course_id BIGINT,
    record_id BIGINT,
    user_id BIGINT,
    enrollment_id BIGINT,
    api_key_id BIGINT,
    origin TEXT,
    request_id TEXT,
    data TEXT NOT NULL
);
CREATE INDEX events_feed ON events (tenant_id, tx, id);
CREATE INDEX events_tenant_id ON events (tenant_id, id);
CREATE INDEX events_tenant_time ON events (tenant_id, occurred_at);
CREATE INDEX events_course ON events (tenant_id, course_id) WHERE course_id IS NOT NULL;
CREATE INDEX events_record ON events (tenant_id, record_id) WHERE record_id IS NOT NULL;
CREATE INDEX events_user ON events (tenant_id, user_id) WHERE user_id IS NOT NULL;

-- The audit trail so far, as events (`audit_events` stays until a later migration, so that an
-- instance of the previous version still running can write; nothing reads it any more).
INSERT INTO events (tx, tenant_id, type, occurred_at, course_id, record_id, api_key_id, origin, request_id, data)
SELECT 0, tenant_id,
       CASE action
           WHEN 'activity.create' THEN 'activity.created'
           WHEN 'language_version.create' THEN 'language_version.added'
           WHEN 'package.replace' THEN 'package.replaced'
           WHEN 'package.rollback' THEN 'package.rolled_back'
           WHEN 'curriculum_activity.create' THEN 'curriculum_activity.created'
           WHEN 'curriculum_activity.update' THEN 'curriculum_activity.updated'
           WHEN 'curriculum_activity.update_position' THEN 'curriculum_activity.moved'
           WHEN 'curriculum_activity.destroy' THEN 'curriculum_activity.destroyed'
           WHEN 'user.create' THEN 'user.created'
           WHEN 'user.update' THEN 'user.updated'
           WHEN 'enrollment.create' THEN 'enrollment.created'
           WHEN 'enrollment.destroy' THEN 'enrollment.deleted'
           ELSE action
       END,
       created_at, activity_id, record_id, api_key_id, origin, request_id, changes
FROM audit_events ORDER BY id;

-- Webhooks: where and which events to POST; the database is their queue. `cursor_tx` and
-- `cursor_id` are the feed position up to which deliveries were queued; `lease_*` names the
-- instance delivering it now (until `lease_until`).
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    cursor_tx BIGINT NOT NULL,
    cursor_id BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, id);

-- One row per event queued for a webhook, in the feed's order (by id).
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_attempt_at TIMESTAMP,
    response_status INTEGER,
    error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (webhook_id, status, id);
CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, created_at);
