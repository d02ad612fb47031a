-- Which chunks may hold an invocation record, by a key of its ID, instead
-- of one invocation_ids entry per record (migration 10): inserting and
-- pruning an entry per record was a quarter of the history's CPU per warm
-- request. The platform's IDs are time-ordered UUIDs (version 7, made by
-- lambda.NewRequestID) whose first 12 characters name 16 ms of their
-- creation: that prefix is their key, so a chunk (a batch of ~100 ms)
-- has a few keys however many records it holds. Any other ID (older
-- records, tests) is its own key. A lookup reads the chunks of its ID's
-- key, newest first, and takes the first that holds the ID
-- (sqlite.InvocationStore.FindInvocation; idKey there computes the same
-- key as the CASE below). WITHOUT ROWID: one B-tree, no rowid beside the
-- key; the index on chunk serves the trigger.
CREATE TABLE invocation_keys (
    key   TEXT    NOT NULL,
    chunk INTEGER NOT NULL,
    PRIMARY KEY (key, chunk)
) STRICT, WITHOUT ROWID;

CREATE INDEX invocation_keys_chunk ON invocation_keys (chunk);

CREATE TRIGGER invocation_chunks_keys AFTER DELETE ON invocation_chunks BEGIN
    DELETE FROM invocation_keys WHERE chunk = OLD.seq;
END;

-- The records stored before: invocation_ids names each one's newest chunk
-- (the one a lookup returns).
INSERT OR IGNORE INTO invocation_keys (key, chunk)
    SELECT CASE WHEN id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-7[0-9a-f][0-9a-f][0-9a-f]-[89ab][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'
                THEN substr(id, 1, 12) ELSE id END,
           chunk
    FROM invocation_ids;

DROP TRIGGER invocation_chunks_ids;
DROP TABLE invocation_ids;
