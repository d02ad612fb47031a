-- The W3C traceparent of a job's submission (lambda.Job.TraceParent), which
-- every attempt continues: without it a job the server takes from the
-- database (a retry, one that waited, one recovered after a restart) ran
-- under the trace named after its ID instead of its submitter's. Written at
-- creation, never changed; '' when the submitter sent none.
ALTER TABLE jobs ADD COLUMN trace_parent TEXT NOT NULL DEFAULT '';
