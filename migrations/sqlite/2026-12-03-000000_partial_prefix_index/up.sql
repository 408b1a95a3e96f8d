-- As on Postgres: only the versions that hold a package are indexed by their prefix (the
-- storage-prefix sweep reads those).
DROP INDEX language_versions_prefix;
CREATE INDEX language_versions_prefix ON language_versions (storage_prefix) WHERE storage_prefix IS NOT NULL;
