package e2e

import (
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestAsyncConcurrencyCap: with async_concurrency 1 a burst of jobs runs
// one at a time, and synchronous calls still get through while most of
// the burst waits.
func TestAsyncConcurrencyCap(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("async-cap")
	deployAsyncFn(s, name, "--concurrency", "4", "--async-concurrency", "1")

	const burst = 12
	var ids []string
	for i := range burst {
		ids = append(ids, mustSubmit(s, name, `{"sleep":"400ms","n":`+strconv.Itoa(i)+`}`))
	}
	// Sync calls are not stuck behind the burst.
	for range 3 {
		s.mustLambda("invoke", name, "--data", `{"tag":"sync-during-burst"}`)
	}
	waiting := 0
	for _, j := range listJobs(s, name, "limit=100") {
		if j.Status == lambda.StatusQueued {
			waiting++
		}
	}
	if waiting == 0 {
		t.Errorf("no job of the burst still waited after three sync calls: they waited for the whole burst")
	}

	type span struct{ start, end time.Time }
	var spans []span
	for _, id := range ids {
		j := waitJob(s, id, 60*time.Second, ended)
		if j.Status != lambda.StatusSucceeded || len(j.History) != 1 {
			t.Fatalf("job %s: %s: %s", id, j.Status, describeAttempts(j))
		}
		a := j.History[0]
		spans = append(spans, span{a.Start, a.Start.Add(time.Duration(a.Duration))})
	}
	sort.Slice(spans, func(i, k int) bool { return spans[i].start.Before(spans[k].start) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start.Before(spans[i-1].end) {
			t.Errorf("two jobs ran at once with async_concurrency 1: %s-%s and %s-%s", spans[i-1].start.Format(time.StampMilli), spans[i-1].end.Format(time.StampMilli), spans[i].start.Format(time.StampMilli), spans[i].end.Format(time.StampMilli))
		}
	}
	if seen := seenBy(s, name); seen.MaxInflight < 2 {
		t.Errorf("the function never served a sync call beside an async job (at most %d at once)", seen.MaxInflight)
	}
	s.mustLambda("delete", name)
}
