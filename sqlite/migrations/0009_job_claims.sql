-- A job's `running` status lives in the server's memory (sqlite/job_running.go):
-- a claimed job stays queued or retrying in its row until its outcome is
-- written, which spares every job a status change (its row's move in three
-- indexes and the count trigger). What a crash must still leave behind is which
-- jobs were running: the claim sets claimed_at, an unindexed column, in the
-- statement that takes the jobs, and the outcome's write clears it. The next
-- start counts the attempt of each waiting job with a claimed_at as one the
-- server did not survive (RequeueRunning), so that a job that kills the server
-- cannot run forever.
ALTER TABLE jobs ADD COLUMN claimed_at TEXT;
