-- Deploys from git (issue 12 §3). A version deployed from git records
-- where its code came from (lambda.Version.Git); NULL for uploads and
-- images. The repository is stored without credentials; a token never is.
ALTER TABLE versions ADD COLUMN git_repository TEXT;
ALTER TABLE versions ADD COLUMN git_ref TEXT;
ALTER TABLE versions ADD COLUMN git_commit TEXT;
ALTER TABLE versions ADD COLUMN git_subdir TEXT;

-- Push-to-deploy webhooks. The secret is sealed (AES-256-GCM) with a key
-- kept in a 0600 file of the server's data directory, never in here.
CREATE TABLE hooks (
    id            TEXT PRIMARY KEY,
    project       TEXT NOT NULL,
    repository    TEXT NOT NULL,
    branch        TEXT NOT NULL,
    subdir        TEXT NOT NULL DEFAULT '',
    sealed_secret BLOB NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;

-- One row per delivery a hook accepted: its ID makes a repeated delivery
-- deploy once.
CREATE TABLE hook_deliveries (
    hook        TEXT NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    deploy_id   TEXT NOT NULL,
    ref         TEXT NOT NULL,
    git_commit  TEXT NOT NULL,
    status      TEXT NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    received_at TEXT NOT NULL,
    finished_at TEXT,
    PRIMARY KEY (hook, id)
) STRICT;
CREATE INDEX hook_deliveries_recent ON hook_deliveries (hook, received_at);
