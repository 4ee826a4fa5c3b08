-- techo-server on PostgreSQL, schema version 4: status lists are published as numbered
-- versions, and a verifier catches up with the changes since the version it holds (issue 32).
-- An index whose status changed records when, so it is reused only after every list a verifier
-- may still hold shows it valid.

ALTER TABLE status_entries
    ADD COLUMN changed_at timestamptz;

CREATE TABLE status_publications (
    list      integer     NOT NULL,
    version   bigint      NOT NULL,
    issued_at timestamptz NOT NULL,
    -- The entries this version changed, with their status in the version before (Rice-coded
    -- runs): walking the newest entries back through these gives any older version.
    undo      bytea       NOT NULL,
    -- Every entry that is not valid, same form; only on the newest version of a list.
    entries   bytea,
    PRIMARY KEY (list, version)
);
CREATE INDEX status_publications_by_time ON status_publications (issued_at);
