-- Asynchronous imports (`Prefer: respond-async` on /new, /addlanguage, /replace): the database
-- is the queue. `fields` holds the request's fields as JSON (no credentials), `blob_key` the
-- spooled package in the blob store (`imports/...`, removed when the job finishes); `lease_*`
-- names the instance running it now (until `lease_until`, after which another takes it over).
CREATE TABLE imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    api_key_id BIGINT NOT NULL,
    origin TEXT,
    request_id TEXT,
    kind TEXT NOT NULL,
    fields TEXT NOT NULL,
    blob_key TEXT,
    sha256 TEXT,
    size BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    activity_id BIGINT,
    error_message TEXT,
    warnings TEXT NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX imports_queue ON imports (status, id);
CREATE INDEX imports_tenant ON imports (tenant_id, id);
