package sqlite

import (
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
	tests := []struct {
		name  string
		query string
		args  []any
		index string // the plan must use it
	}{
		{"claim", claimQuery, []any{"greet", now, "", 0, 10}, "jobs_due"},
		{"due", dueQuery, nil, "jobs_due"},
		{"queued count", queuedQuery, []any{"greet"}, "job_counts"},
		{"overlap skip", overlapSkipQuery, []any{"sch_1"}, "jobs_schedule"},
		{"overlap queue", overlapQueueQuery, []any{"sch_1"}, "jobs_schedule"},
		{"list a function's", "", nil, "jobs_function"},
		{"list a function's by status", "", nil, "jobs_function_status"},
		{"list a page", "", nil, "jobs_function"},
		{"prune jobs", pruneJobsQuery, []any{now, pruneChunk}, "jobs_ended"},
		{"prune keys", pruneKeysQuery, []any{now, pruneChunk}, "idempotency_keys_expires"},
		{"requeue", requeueQuery, nil, "jobs_running"},
		{"end sync calls", endSyncQuery, []any{now, "", ""}, "jobs_running"},
		{"redrive", redriveQuery, []any{now, "greet", "[]"}, "jobs_function_status"},
		{"find", `SELECT ` + jobColumns + ` FROM jobs WHERE id = ?`, []any{"x"}, "sqlite_autoindex_jobs_1"},
	}
	tests[5].query, tests[5].args = listQuery(lambda.JobFilter{Function: "greet"})
	tests[6].query, tests[6].args = listQuery(lambda.JobFilter{Function: "greet", Status: lambda.StatusDead, Since: t0})
	tests[7].query, tests[7].args = listQuery(lambda.JobFilter{Function: "greet", Before: t0.Add(time.Minute), Limit: 20})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
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
				if strings.HasPrefix(line, "SCAN jobs") && !strings.Contains(line, "USING INDEX jobs_running") ||
					strings.Contains(line, "TEMP B-TREE") {
					t.Errorf("plan has %q:\n%s", line, text)
				}
			}
			if !strings.Contains(text, tt.index) {
				t.Errorf("plan does not use %s:\n%s", tt.index, text)
			}
		})
	}
}
