-- API keys: never their secret, only its SHA-256 (hash), which Bearer
-- authentication looks up. functions is a JSON array of names; empty: all.
-- last_used_at is not written on each request (that would put a write on
-- the warm path); it stays NULL until a batched update fills it.
CREATE TABLE keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    functions    TEXT NOT NULL CHECK (json_valid(functions)),
    hash         BLOB NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT
) STRICT;

-- Every control-plane write, oldest first by id.
CREATE TABLE audit (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    time     TEXT    NOT NULL,
    key_id   TEXT    NOT NULL,
    addr     TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    function TEXT    NOT NULL,
    result   TEXT    NOT NULL,
    status   INTEGER NOT NULL
) STRICT;

CREATE INDEX audit_time ON audit (time);
