-- techo-server on PostgreSQL, schema version 3: a status index returns to the pool once every
-- credential that used it has expired. Each entry records when it was handed out; indices
-- handed out before this version count from the migration.

ALTER TABLE status_entries
    ADD COLUMN allocated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX status_entries_by_age ON status_entries (allocated_at);
