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
    -- What changed from the version before, as the status delta's Rice-coded runs.
    changes   bytea       NOT NULL,
    -- Every entry that is not valid, same form; only on the newest version of a list.
    entries   bytea,
    PRIMARY KEY (list, version)
);
CREATE INDEX status_publications_by_time ON status_publications (issued_at);
