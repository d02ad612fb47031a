-- Records of recent synchronous invocations (http, invoke, api), written by
-- the history writer: each batch is one row per function, its records a
-- JSON array (oldest first), so that a record costs an encoding, not a
-- row with its index entries (which cost more CPU than the request it
-- records). The newest 1,000 of each function are listed; older chunks are
-- deleted once newer ones hold 1,000. Async and cron attempts are in their
-- jobs. seq is the store order.
CREATE TABLE invocation_chunks (
    seq        INTEGER PRIMARY KEY,
    function   TEXT    NOT NULL REFERENCES functions (name) ON DELETE CASCADE,
    n          INTEGER NOT NULL,
    first_start TEXT   NOT NULL,
    records    TEXT    NOT NULL
) STRICT;

-- A function's chunks in store order: listings, pruning, the cascade.
CREATE INDEX invocation_chunks_function ON invocation_chunks (function, seq);
