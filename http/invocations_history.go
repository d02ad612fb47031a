package http

import (
	"context"

	"github.com/lambdahq/lambda"
)

// listInvocations lists a page of a function's invocations: its jobs
// (s.Async) and the records of its recent synchronous invocations
// (s.History) merged newest first, and the cursor of the next page ("" at
// the end). Each source lists at most a page after the cursor's position
// among its own entries; MergeInvocations keeps the newest page of both.
func (s *Server) listInvocations(ctx context.Context, f lambda.JobFilter) ([]*lambda.Job, string, error) {
	var jobs, records []*lambda.Job
	if s.Async != nil {
		jf := f
		jf.After = f.After.ForJobs()
		var err error
		if jobs, err = s.Async.ListJobs(ctx, jf); err != nil {
			return nil, "", err
		}
	}
	if s.History != nil && lambda.SyncStatus(f.Status) {
		hf := f
		hf.After = f.After.ForRecords()
		var err error
		if records, err = s.History.ListInvocations(ctx, hf); err != nil {
			return nil, "", err
		}
	}
	page, next := lambda.MergeInvocations(jobs, records, f.Limit)
	if next == nil {
		return page, "", nil
	}
	return page, next.String(), nil
}

// findInvocation finds an invocation by ID: a job, or else the record of a
// recent synchronous invocation.
func (s *Server) findInvocation(ctx context.Context, id string) (*lambda.Job, error) {
	var (
		job *lambda.Job
		err error = lambda.Errorf(lambda.ENOTFOUND, "invocation %q not found", id)
	)
	if s.Async != nil {
		job, err = s.Async.FindJob(ctx, id)
	}
	if lambda.ErrorCode(err) == lambda.ENOTFOUND && s.History != nil {
		job, err = s.History.FindInvocation(ctx, id)
	}
	return job, err
}

// invocationsAvailable reports whether the server keeps any invocations.
func (s *Server) invocationsAvailable() bool {
	return s.Async != nil || s.History != nil
}
