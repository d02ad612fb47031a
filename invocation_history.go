package lambda

import "context"

// MaxInvocationsKept is how many records of synchronous invocations the
// history keeps per function: the newest.
const MaxInvocationsKept = 1000

// Sync reports whether t is a synchronous trigger (http, invoke, api),
// whose invocations leave no job: the history keeps their records. An
// async or cron attempt is already in its job.
func (t Trigger) Sync() bool {
	return t == TriggerHTTP || t == TriggerInvoke || t == TriggerAPI
}

// InvocationHistory keeps the records of recent synchronous invocations,
// so that they are listed with the jobs (`lambda invocations NAME`). It is
// written in batches, in the background (never on the request path), and
// listed in the shape of a job (InvocationJob) so that clients read one
// kind of entry.
type InvocationHistory interface {
	// SaveInvocations stores recs in one transaction and keeps the newest
	// MaxInvocationsKept of each function. A record of a function that no
	// longer exists is left out. Its cost is what a synchronous request
	// adds to the server's CPU: a few microseconds per record, not a row
	// and index entries each. recs and their records stay the caller's:
	// a store copies what it keeps (the history writer reuses them for
	// its next batch).
	SaveInvocations(ctx context.Context, recs []*Invocation) error
	// ListInvocations returns the records f selects as jobs, newest first
	// (by start, then store order in Seq). f.After is a position among
	// records: CreatedAt their start. Only the statuses succeeded and
	// failed select any. A record whose ID names a job (a call with an
	// idempotency key: its job is its record) is left out.
	ListInvocations(ctx context.Context, f JobFilter) ([]*Job, error)
	// FindInvocation returns the record with id as a job; ENOTFOUND when
	// unknown or pruned.
	FindInvocation(ctx context.Context, id string) (*Job, error)
}

// InvocationJob is a synchronous invocation's record in the shape of a
// finished job with one attempt (Sync set, no idempotency key), as the
// listings and `lambda invocation ID` show it.
func InvocationJob(inv *Invocation) *Job {
	start := inv.Start
	end := start.Add(inv.Duration)
	j := &Job{
		ID: inv.ID, Function: inv.Function, Trigger: inv.Trigger, Sync: true, Status: inv.Status,
		Attempts: 1, CreatedAt: start, NextRunAt: start, StartedAt: &start, FinishedAt: &end,
		Duration: Duration(inv.Duration), Version: inv.Version, HTTPStatus: inv.HTTPStatus,
		ErrorType: inv.ErrorType, ErrorMessage: string(inv.ThrottleReason),
	}
	j.History = []JobAttempt{{
		Attempt: 1, Counted: true, Start: start, Duration: j.Duration, Version: inv.Version,
		Status: inv.Status, HTTPStatus: inv.HTTPStatus, Cold: inv.Cold, ErrorType: inv.ErrorType,
		TraceID: inv.TraceID, RuntimeExit: inv.RuntimeExit,
	}}
	return j
}

// SyncStatus reports whether a listing's status filter can select records
// of synchronous invocations, which end succeeded or failed: "" (any),
// succeeded or failed.
func SyncStatus(status string) bool {
	return status == "" || status == StatusSucceeded || status == StatusFailed
}

// MergeInvocations merges a page of jobs and a page of records of
// synchronous invocations, each newest first and listed after the same
// cursor (its ForJobs and ForRecords), into a page of at most limit of the
// merged listing. The merged order is by CreatedAt, newest first; at equal
// times jobs come first, each kind in its store order (Seq). next, set
// when the page is full, is the cursor after its last entry. A record
// whose ID is a job's of the page is left out: the job is its record.
func MergeInvocations(jobs, records []*Job, limit int) (page []*Job, next *JobCursor) {
	if limit <= 0 {
		limit = DefaultJobListLimit
	}
	ids := make(map[string]bool, len(jobs))
	for _, j := range jobs {
		ids[j.ID] = true
	}
	page = make([]*Job, 0, min(limit, len(jobs)+len(records)))
	var last *JobCursor
	for len(page) < limit && (len(jobs) > 0 || len(records) > 0) {
		if len(records) == 0 || (len(jobs) > 0 && jobs[0].CreatedAt.Compare(records[0].CreatedAt) >= 0) {
			page = append(page, jobs[0])
			last = &JobCursor{CreatedAt: jobs[0].CreatedAt, Seq: jobs[0].Seq}
			jobs = jobs[1:]
			continue
		}
		r := records[0]
		records = records[1:]
		last = &JobCursor{CreatedAt: r.CreatedAt, Seq: r.Seq, Record: true}
		if !ids[r.ID] {
			page = append(page, r)
		}
	}
	if len(page) == limit {
		next = last
	}
	return page, next
}

// ForJobs is the cursor as a position among jobs: a record's position is
// after every job of its time. A nil cursor stays nil.
func (c *JobCursor) ForJobs() *JobCursor {
	if c == nil || !c.Record {
		return c
	}
	return &JobCursor{CreatedAt: c.CreatedAt, Seq: 0}
}

// ForRecords is the cursor as a position among records of synchronous
// invocations: a job's position is before every record of its time.
func (c *JobCursor) ForRecords() *JobCursor {
	if c == nil {
		return nil
	}
	if c.Record {
		return &JobCursor{CreatedAt: c.CreatedAt, Seq: c.Seq}
	}
	return &JobCursor{CreatedAt: c.CreatedAt, Seq: maxSeq}
}

// maxSeq is a Seq after which no store's sequence number comes.
const maxSeq = 1<<63 - 1
