-- The journal of async jobs (job_journal.go): the creates, claims and
-- outcomes of plain async jobs, one row per batch for all its jobs,
-- appended without an index, until the jobs that ended are written into
-- jobs. Open writes whatever a stopped server left here into jobs.
CREATE TABLE job_journal (
    seq  INTEGER PRIMARY KEY,
    kind INTEGER NOT NULL,
    data BLOB    NOT NULL
) STRICT;
