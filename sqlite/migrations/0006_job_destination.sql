-- A job's place in a chain of destinations (0: submitted by a client or a
-- schedule), which bounds destinations that feed each other, and what
-- became of the record it sent to its destination (JSON; NULL: none).
ALTER TABLE jobs ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN destination TEXT CHECK (destination IS NULL OR json_valid(destination));
