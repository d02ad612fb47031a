package sqlite

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestJobQueryPlans checks that the queries a deep queue makes often are
// answered from the indexes: no scan of jobs, no sort. With 100,000 queued
// jobs a scan costs milliseconds per call, and each create or claim makes
// several calls.
func TestJobQueryPlans(t *testing.T) {
	_, _, s := jobFixture(t)
	insertJobs(t, s, "greet", 200, lambda.StatusQueued)
	now := formatTime(t0.Add(time.Hour))
	inMemory := map[int64]runningJob{3: {seq: 3, function: "greet"}, 5: {seq: 5, function: "greet"}}
	tests := []struct {
		name  string
		query string
		args  []any
		index string            // the plan must use it
		list  *lambda.JobFilter // the query is listQuery's for it
		// running: jobs running in memory, for list
		running map[int64]runningJob
	}{
		{"claim", claimQuery, []any{"greet", now, 10, maxTimeText, int64(math.MaxInt64)}, "jobs_due", nil, nil},
		{"claim before the journal's", claimQuery, []any{"greet", now, 10, now, int64(100)}, "jobs_due", nil, nil},
		{"taken IDs", takenIDsQuery, []any{`["a", "b"]`}, "sqlite_autoindex_jobs_1", nil, nil},
		{"due beside running", dueFirstQuery, []any{"greet", 3}, "jobs_due", nil, nil},
		{"due", dueQuery, nil, "jobs_due", nil, nil},
		{"queued count", queuedQuery, []any{"greet"}, "job_counts", nil, nil},
		{"overlap skip", overlapSkipQuery, []any{"sch_1"}, "jobs_schedule", nil, nil},
		{"overlap queue", overlapQueueQuery, []any{"sch_1"}, "jobs_schedule", nil, nil},
		{"list a function's", "", nil, "jobs_function", &lambda.JobFilter{Function: "greet"}, nil},
		{"list a function's by status", "", nil, "jobs_function_status", &lambda.JobFilter{Function: "greet", Status: lambda.StatusDead, Since: t0}, nil},
		{"list a page", "", nil, "jobs_function", &lambda.JobFilter{Function: "greet", After: &lambda.JobCursor{CreatedAt: t0.Add(time.Minute), Seq: 100}, Limit: 20}, nil},
		{"list a page of a status", "", nil, "jobs_function_status", &lambda.JobFilter{Function: "greet", Status: lambda.StatusDead, After: &lambda.JobCursor{CreatedAt: t0, Seq: 100}, Limit: 20}, nil},
		{"list before a time", "", nil, "jobs_function", &lambda.JobFilter{Function: "greet", Before: t0.Add(time.Minute), Limit: 20}, nil},
		{"prune jobs", pruneJobsQuery, []any{now, pruneChunk}, "jobs_ended", nil, nil},
		{"prune keys", pruneKeysQuery, []any{now, pruneChunk}, "idempotency_keys_expires", nil, nil},
		{"interrupted", interruptedQuery, nil, "jobs_due", nil, nil},
		{"list a function's running", "", nil, "jobs_running", &lambda.JobFilter{Function: "greet", Status: lambda.StatusRunning}, inMemory},
		{"list a function's queued", "", nil, "jobs_function_status", &lambda.JobFilter{Function: "greet", Status: lambda.StatusQueued}, inMemory},
		{"end sync calls", endSyncQuery, []any{now, "", ""}, "jobs_running", nil, nil},
		{"redrive", redriveQuery, []any{now, "greet", "[]"}, "jobs_function_status", nil, nil},
		{"find", `SELECT ` + jobColumns + ` FROM jobs WHERE id = ?`, []any{"x"}, "sqlite_autoindex_jobs_1", nil, nil},
		// A batch's outcomes find their rows by ID, not by a scan of jobs.
		{"outcome", outcomeQueries[1], make([]any, len(outcomeColumns)), "sqlite_autoindex_jobs_1", nil, nil},
		{"outcomes", outcomeQueries[maxOutcomeRows], make([]any, maxOutcomeRows*len(outcomeColumns)), "sqlite_autoindex_jobs_1", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.list != nil {
				tt.query, tt.args = listQuery(*tt.list, tt.running)
			}
			rows, err := s.db.read.Query(`EXPLAIN QUERY PLAN `+tt.query, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			text := strings.Join(plan, "\n")
			for _, line := range plan {
				// The crashed jobs are looked for among the waiting ones,
				// once per start.
				scanOK := strings.Contains(line, "INDEX jobs_running") || tt.name == "interrupted" && strings.Contains(line, "INDEX jobs_due")
				if strings.HasPrefix(line, "SCAN jobs") && !scanOK ||
					strings.Contains(line, "TEMP B-TREE") && tt.running == nil {
					t.Errorf("plan has %q:\n%s", line, text)
				}
			}
			if !strings.Contains(text, tt.index) {
				t.Errorf("plan does not use %s:\n%s", tt.index, text)
			}
		})
	}
}
