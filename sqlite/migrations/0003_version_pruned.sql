-- Old versions' images are pruned to keep the newest ones; the version's
-- row stays so that `lambda versions` still lists it. NULL: image kept.
ALTER TABLE versions ADD COLUMN pruned_at TEXT;
