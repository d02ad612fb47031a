-- What a write acted on that is not a function (the key of keys.create and
-- keys.revoke), by ID and by name. Entries recorded before have none.
ALTER TABLE audit ADD COLUMN target TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN target_name TEXT NOT NULL DEFAULT '';
