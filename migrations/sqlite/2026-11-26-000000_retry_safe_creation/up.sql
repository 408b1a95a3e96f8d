-- Retry-safe writes: one row per (tenant, Idempotency-Key). A row without a status is a
-- request in progress; with one, the response to replay. Rows past expires_at are purged.
CREATE TABLE idempotency_keys (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, idempotency_key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- A partner's own id for an activity (`externalId` on /new), unique per tenant.
ALTER TABLE activities ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX activities_external_id ON activities (tenant_id, external_id) WHERE external_id IS NOT NULL;
