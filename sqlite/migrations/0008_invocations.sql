-- Records of recent synchronous invocations (http, invoke, api), written in
-- batches by the history writer; the newest 1,000 of each function are
-- kept. Async and cron attempts are in their jobs. seq is the store order
-- (a plain rowid: pruning takes the oldest, so numbers only grow within a
-- function). Durations are integer nanoseconds.
CREATE TABLE invocations (
    seq             INTEGER PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    function        TEXT    NOT NULL REFERENCES functions (name) ON DELETE CASCADE,
    version         INTEGER NOT NULL,
    trigger         TEXT    NOT NULL,
    started_at      TEXT    NOT NULL,
    duration        INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    http_status     INTEGER NOT NULL,
    cold_start      INTEGER NOT NULL,
    queue_wait      INTEGER NOT NULL,
    init_duration   INTEGER NOT NULL,
    error_type      TEXT    NOT NULL,
    throttle_reason TEXT    NOT NULL,
    trace_id        TEXT    NOT NULL
) STRICT;

-- Listings, newest first; also serves the cascade from functions.
CREATE INDEX invocations_function ON invocations (function, started_at, seq);
-- Pruning finds a function's 1,000th newest record.
CREATE INDEX invocations_function_seq ON invocations (function, seq);
