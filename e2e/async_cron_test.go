package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestCronQueue schedules a function that takes 3 s every second with
// overlap queue: each tick becomes a job (trigger cron), at most one tick
// waits while one runs, the others are dropped, and the function never
// runs twice at once.
func TestCronQueue(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("cron-queue")
	deployAsyncFn(s, name)
	const run = 3 * time.Second

	var sch struct {
		ID      string `json:"id"`
		Overlap string `json:"overlap"`
	}
	res := s.mustLambda("schedule", name, "--cron", "* * * * * *", "--overlap", "queue", "--data", `{"sleep":"3s","tag":"cron-queue"}`, "-o", "json")
	if err := json.Unmarshal([]byte(res.stdout), &sch); err != nil || sch.ID == "" || sch.Overlap != "queue" {
		t.Fatalf("schedule --overlap queue -o json: %v\n%s", err, res.stdout)
	}
	scheduled := time.Now()
	deleted := false
	deleteSchedule := func() {
		if !deleted {
			deleted = true
			s.mustLambda("schedule", "delete", sch.ID)
		}
	}
	defer deleteSchedule()

	// Watch the jobs for three runs' time.
	maxRunning, maxWaiting := 0, 0
	for time.Since(scheduled) < 3*run+time.Second {
		running, waiting := 0, 0
		for _, j := range listJobs(s, name, "limit=100") {
			switch j.Status {
			case lambda.StatusRunning:
				running++
			case lambda.StatusQueued, lambda.StatusRetrying:
				waiting++
			}
		}
		maxRunning, maxWaiting = max(maxRunning, running), max(maxWaiting, waiting)
		time.Sleep(200 * time.Millisecond)
	}
	deleteSchedule()
	window := time.Since(scheduled)

	// The pending ticks finish: one running, at most one waiting.
	var jobs []lambda.Job
	waitFor(t, 3*run+10*time.Second, func() bool {
		jobs = listJobs(s, name, "limit=100")
		for _, j := range jobs {
			if j.Pending() {
				return false
			}
		}
		return true
	})
	succeeded := 0
	for _, j := range jobs {
		if j.Trigger != lambda.TriggerCron || j.Schedule != sch.ID {
			t.Errorf("job %s: trigger %q schedule %q, want cron and %s", j.ID, j.Trigger, j.Schedule, sch.ID)
		}
		if j.Status == lambda.StatusSucceeded {
			succeeded++
		}
	}
	if maxRunning > 1 || maxWaiting > 1 {
		t.Errorf("at one moment %d ticks ran and %d waited; overlap queue allows 1 and 1", maxRunning, maxWaiting)
	}
	if maxWaiting == 0 {
		t.Errorf("no tick ever waited for the running one: overlap queue behaved as skip")
	}
	// A run takes 3 s and ticks come every second: one job per run and
	// the one waiting, not one per tick.
	if most := int(window/run) + 3; len(jobs) > most {
		t.Errorf("%d jobs in %s of ticks every second for a %s function, want at most %d: ticks beyond the one waiting must be dropped", len(jobs), window.Round(time.Millisecond), run, most)
	}
	if succeeded < 2 {
		t.Errorf("%d ticks succeeded, want at least 2 (the waiting one runs after the first)", succeeded)
	}
	seen := seenBy(s, name)
	if seen.MaxInflight != 1 {
		t.Errorf("the function ran %d ticks at once, want 1", seen.MaxInflight)
	}
	if n := seen.bodiesWith("cron-queue"); n != succeeded {
		t.Errorf("the function ran %d ticks, the records say %d succeeded", n, succeeded)
	}
	s.mustLambda("delete", name)
}
