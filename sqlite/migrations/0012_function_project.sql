-- The project whose manifest declares a function (lambda.Function.Project):
-- a project deploy sets it, "lambda list --project" filters on it and
-- "--prune" deletes the functions of a project its manifest no longer
-- lists. '' for a function deployed on its own.
ALTER TABLE functions ADD COLUMN project TEXT NOT NULL DEFAULT '';
CREATE INDEX functions_project ON functions (project) WHERE project <> '';
