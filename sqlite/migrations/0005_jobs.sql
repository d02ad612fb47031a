-- Asynchronous invocations (and synchronous ones with an idempotency key).
-- seq is the creation order: AUTOINCREMENT never reuses a number, even
-- after the newest jobs were pruned. Durations are integer nanoseconds;
-- history is the JSON array of attempts, oldest first.
CREATE TABLE jobs (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    id                 TEXT    NOT NULL UNIQUE,
    function           TEXT    NOT NULL REFERENCES functions (name) ON DELETE CASCADE,
    qualifier          TEXT    NOT NULL,
    trigger            TEXT    NOT NULL,
    sync               INTEGER NOT NULL,
    payload            BLOB,
    status             TEXT    NOT NULL,
    attempts           INTEGER NOT NULL,
    timeout            INTEGER NOT NULL,
    idempotency_key    TEXT    NOT NULL,
    payload_hash       TEXT    NOT NULL,
    schedule           TEXT    NOT NULL,
    overlap            TEXT    NOT NULL,
    created_at         TEXT    NOT NULL,
    next_run_at        TEXT    NOT NULL,
    started_at         TEXT,
    finished_at        TEXT,
    duration           INTEGER NOT NULL,
    version            INTEGER NOT NULL,
    http_status        INTEGER NOT NULL,
    response           BLOB,
    response_truncated INTEGER NOT NULL,
    function_error     TEXT    NOT NULL,
    error_type         TEXT    NOT NULL,
    error_message      TEXT    NOT NULL,
    history            TEXT    NOT NULL CHECK (json_valid(history))
) STRICT;

-- ClaimJobs and DueJobs: a function's waiting jobs in the order they are
-- taken. Partial, so the 100,000th queued job costs a claim nothing.
CREATE INDEX jobs_due ON jobs (function, next_run_at, seq) WHERE status IN ('queued', 'retrying');
-- Listings, newest first: of a function, of a function by status, of all.
-- jobs_function also serves the cascade from functions.
CREATE INDEX jobs_function ON jobs (function, created_at, seq);
CREATE INDEX jobs_function_status ON jobs (function, status, created_at, seq);
CREATE INDEX jobs_created ON jobs (created_at, seq);
-- Pruning takes the jobs that ended longest ago.
CREATE INDEX jobs_ended ON jobs (finished_at) WHERE status IN ('succeeded', 'failed', 'dead');
-- Overlap rules look for a schedule's pending or running jobs.
CREATE INDEX jobs_schedule ON jobs (schedule, status) WHERE schedule <> '';
-- RequeueRunning at start: the few running jobs among many.
CREATE INDEX jobs_running ON jobs (function) WHERE status = 'running';

-- Jobs per function and status, kept by triggers in the writing
-- transaction: the queued-jobs limit is checked on every create and
-- counting 100,000 index entries each time would cap the enqueue rate.
CREATE TABLE job_counts (
    function TEXT    NOT NULL REFERENCES functions (name) ON DELETE CASCADE,
    status   TEXT    NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (function, status)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO job_counts (function, status, n) VALUES (NEW.function, NEW.status, 1)
        ON CONFLICT (function, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER jobs_count_update AFTER UPDATE OF status ON jobs WHEN OLD.status <> NEW.status BEGIN
    UPDATE job_counts SET n = n - 1 WHERE function = OLD.function AND status = OLD.status;
    INSERT INTO job_counts (function, status, n) VALUES (NEW.function, NEW.status, 1)
        ON CONFLICT (function, status) DO UPDATE SET n = n + 1;
END;

-- A function's deletion cascades to job_counts too; whichever cascade runs
-- first, the counts of a deleted function end up gone.
CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs BEGIN
    UPDATE job_counts SET n = n - 1 WHERE function = OLD.function AND status = OLD.status;
END;

-- Idempotency keys: a key names one job of its function until expires_at.
-- Both cascades drop the key with its function or its (pruned) job.
CREATE TABLE idempotency_keys (
    function     TEXT NOT NULL REFERENCES functions (name) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    job_id       TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    payload_hash TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (function, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX idempotency_keys_job ON idempotency_keys (job_id);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
