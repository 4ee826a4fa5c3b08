-- techo-server on PostgreSQL, schema version 6: small shared documents with a revision for
-- compare and swap; the issuer's key ring lives here (issue 30), so every process publishes
-- the same trust list and signs with the same key after a rotation.
CREATE TABLE documents (
    name text PRIMARY KEY,
    body jsonb NOT NULL,
    rev  bigint NOT NULL
);
