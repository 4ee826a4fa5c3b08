-- techo-server on PostgreSQL, schema version 2: consents are purged when they expire, by
-- whichever process claims them first (leased like pending requests).

ALTER TABLE consents
    ADD COLUMN expires_at  timestamptz,
    ADD COLUMN purged_at   timestamptz,
    ADD COLUMN lease_until timestamptz,
    ADD COLUMN lease_owner text;
UPDATE consents
   SET expires_at = (data->>'expires_at')::timestamptz,
       purged_at  = (data->>'purged_at')::timestamptz;
ALTER TABLE consents ALTER COLUMN expires_at SET NOT NULL;
CREATE INDEX consents_to_purge ON consents (expires_at) WHERE purged_at IS NULL;
