-- Each function's invocations added up per minute (issue 11 §3): counts and
-- the latency histogram (lambda.LatencyHistogram's sparse encoding), which
-- merge exactly into the coarser buckets of a day or a week. A function's
-- deletion takes its history with it. Kept 7 days; the minute index serves
-- the pruning.
CREATE TABLE stats_minutes (
    function    TEXT    NOT NULL REFERENCES functions (name) ON DELETE CASCADE,
    minute      TEXT    NOT NULL,
    invocations INTEGER NOT NULL,
    errors      INTEGER NOT NULL,
    throttles   INTEGER NOT NULL,
    cold_starts INTEGER NOT NULL,
    latency     BLOB    NOT NULL,
    PRIMARY KEY (function, minute)
) STRICT, WITHOUT ROWID;

CREATE INDEX stats_minutes_minute ON stats_minutes (minute);
