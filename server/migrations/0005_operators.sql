-- techo-server on PostgreSQL, schema version 5: the operator directory, operators' tokens and
-- the coupon redemption ledger leave process memory (issue 30), so a restart forgets nothing
-- and every process on the database gives the same answers.

-- One row: the directory's version and the first version it ever had.
CREATE TABLE directory_head (
    id      smallint PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL,
    since   bigint NOT NULL
);
INSERT INTO directory_head (id, version, since) VALUES (1, 0, 0);

-- Each operator's published entry and coupon withdrawal times (NULL: removed), with the
-- version it last changed at.
CREATE TABLE directory_operators (
    id      text PRIMARY KEY,
    record  jsonb,
    version bigint NOT NULL
);

-- SHA-256 of each operator's token; the token itself is never kept.
CREATE TABLE operator_tokens (
    operator   text PRIMARY KEY,
    token_hash text NOT NULL
);

-- The answer given for each presented code: the key is unique, so one code is counted once
-- whichever process it reaches.
CREATE TABLE redemptions (
    key    text PRIMARY KEY,
    result text NOT NULL
);

-- Uses per operator, coupon and holder (the portal's pairwise subject).
CREATE TABLE coupon_uses (
    operator text NOT NULL,
    coupon   text NOT NULL,
    holder   text NOT NULL,
    count    integer NOT NULL,
    PRIMARY KEY (operator, coupon, holder)
);
CREATE INDEX coupon_uses_holder ON coupon_uses (holder);
