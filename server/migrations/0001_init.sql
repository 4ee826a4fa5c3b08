-- techo-server on PostgreSQL, schema version 1. Applied by the server at start, once, under an
-- advisory lock; schema_migrations records it.

CREATE TABLE sessions (
    id              text PRIMARY KEY,
    -- The app's key for "start linkage": a retried start returns the same session.
    idempotency_key text NOT NULL UNIQUE,
    state           text NOT NULL,
    -- Pending requests: when to ask the portal again, and which worker holds it until when.
    next_try        timestamptz,
    lease_until     timestamptz,
    lease_owner     text,
    data            jsonb NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_due ON sessions (next_try) WHERE state = 'pending';

CREATE TABLE consents (
    id         text PRIMARY KEY,
    session_id text NOT NULL,
    data       jsonb NOT NULL
);
CREATE INDEX consents_session ON consents (session_id);

-- One row per status-list index handed out: the primary key makes a duplicate impossible,
-- whichever process allocates.
CREATE TABLE status_entries (
    idx    integer PRIMARY KEY CHECK (idx >= 0 AND idx < 65536),
    holder text NOT NULL,
    status smallint NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2))
);
CREATE INDEX status_entries_holder ON status_entries (holder);
CREATE INDEX status_entries_not_valid ON status_entries (idx) WHERE status <> 0;
