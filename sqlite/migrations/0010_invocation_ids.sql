-- Which chunk holds each stored invocation record, so that a lookup by ID
-- (GET /v1/invocations/{id}, found or not) is one search of this table's
-- B-tree instead of a scan of every chunk's text. A row is an ID and an
-- integer (WITHOUT ROWID: one B-tree, no rowid beside the key); the batch
-- writes a chunk's IDs in one statement. The index on chunk serves the
-- cascade: a chunk pruned, or its function deleted, takes its IDs with it.
CREATE TABLE invocation_ids (
    id    TEXT    PRIMARY KEY,
    chunk INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX invocation_ids_chunk ON invocation_ids (chunk);

CREATE TRIGGER invocation_chunks_ids AFTER DELETE ON invocation_chunks BEGIN
    DELETE FROM invocation_ids WHERE chunk = OLD.seq;
END;

-- Chunks stored before this migration, oldest first: a record stored twice
-- names its newest copy.
INSERT OR REPLACE INTO invocation_ids (id, chunk)
    SELECT json_extract(r.value, '$.id'), c.seq
    FROM invocation_chunks AS c, json_each(c.records) AS r
    WHERE json_extract(r.value, '$.id') IS NOT NULL
    ORDER BY c.seq, r.key;
