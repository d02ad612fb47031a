-- Aliases (issue 16): a name for a version of a function, optionally
-- sending a share (weight, 0 to 1) of its traffic to an additional
-- version. "live" is the alias plain requests use; its version is the
-- function's active version, always: the triggers below point it at
-- whatever becomes active (deploy, rollback, a project's publish) and
-- clear its split, so no writer of active_version can forget it. Versions
-- an alias names cannot be deleted (the foreign keys have no action); the
-- checks are deferred because a deploy creates its function before its
-- first version.
CREATE TABLE aliases (
    function           TEXT    NOT NULL REFERENCES functions (name) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    version            INTEGER NOT NULL CHECK (version > 0),
    additional_version INTEGER CHECK (additional_version IS NULL OR (additional_version > 0 AND additional_version <> version)),
    weight             REAL    NOT NULL DEFAULT 0 CHECK (weight >= 0 AND weight <= 1),
    description        TEXT    NOT NULL DEFAULT '',
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    PRIMARY KEY (function, name),
    FOREIGN KEY (function, version) REFERENCES versions (function, number) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (function, additional_version) REFERENCES versions (function, number) DEFERRABLE INITIALLY DEFERRED
) STRICT;

INSERT INTO aliases (function, name, version, created_at, updated_at)
    SELECT f.name, 'live', f.active_version, f.updated_at, f.updated_at FROM functions f
    WHERE EXISTS (SELECT 1 FROM versions v WHERE v.function = f.name AND v.number = f.active_version);

CREATE TRIGGER functions_live_insert AFTER INSERT ON functions WHEN NEW.active_version > 0 BEGIN
    INSERT INTO aliases (function, name, version, created_at, updated_at)
        VALUES (NEW.name, 'live', NEW.active_version, NEW.updated_at, NEW.updated_at)
        ON CONFLICT (function, name) DO UPDATE SET version = excluded.version,
            additional_version = NULL, weight = 0, updated_at = excluded.updated_at;
END;

CREATE TRIGGER functions_live_update AFTER UPDATE OF active_version ON functions
    WHEN NEW.active_version <> OLD.active_version AND NEW.active_version > 0 BEGIN
    INSERT INTO aliases (function, name, version, created_at, updated_at)
        VALUES (NEW.name, 'live', NEW.active_version, NEW.updated_at, NEW.updated_at)
        ON CONFLICT (function, name) DO UPDATE SET version = excluded.version,
            additional_version = NULL, weight = 0, updated_at = excluded.updated_at;
END;
