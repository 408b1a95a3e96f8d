-- Keys can be revoked (refused at once) and rotated (the old key expires after a grace
-- period); see docs/OPERATIONS.md, "Key revocation and rotation". NULL = never.
ALTER TABLE api_keys ADD COLUMN revoked_at timestamptz, ADD COLUMN expires_at timestamptz;
