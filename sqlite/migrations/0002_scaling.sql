-- Scaling settings belong to the function, not to a version: they change
-- without a redeploy and survive rollbacks.
ALTER TABLE functions ADD COLUMN scaling TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(scaling));
