DROP INDEX language_versions_prefix;
CREATE INDEX language_versions_prefix ON language_versions (storage_prefix);
