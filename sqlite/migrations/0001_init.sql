-- Times are UTC text in a fixed-width RFC 3339 layout with nanoseconds, so
-- they sort lexically and stay readable from the sqlite3 shell.

CREATE TABLE functions (
    name           TEXT    PRIMARY KEY,
    active_version INTEGER NOT NULL,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
) STRICT;

CREATE TABLE versions (
    function    TEXT    NOT NULL REFERENCES functions (name) ON DELETE CASCADE,
    number      INTEGER NOT NULL CHECK (number > 0),
    image       TEXT    NOT NULL,
    image_id    TEXT    NOT NULL,
    config      TEXT    NOT NULL CHECK (json_valid(config)),
    code_sha256 TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (function, number)
) STRICT;

CREATE TABLE schedules (
    id          TEXT PRIMARY KEY,
    function    TEXT NOT NULL REFERENCES functions (name) ON DELETE CASCADE,
    cron        TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    data        BLOB,
    overlap     TEXT NOT NULL,
    next_run_at TEXT NOT NULL,
    last_run_at TEXT,
    created_at  TEXT NOT NULL
) STRICT;

-- The cascade from functions and ListSchedules(function) both look schedules
-- up by function.
CREATE INDEX schedules_function ON schedules (function, created_at);
