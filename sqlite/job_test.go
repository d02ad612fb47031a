package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// jobFixture opens a database holding functions greet and other.
func jobFixture(t *testing.T) (*DB, *FunctionStore, *JobStore) {
	t.Helper()
	db := openTestDB(t)
	fs := NewFunctionStore(db)
	mustPublish(t, fs, testVersion("greet", 1))
	mustPublish(t, fs, testVersion("other", 1))
	return db, fs, NewJobStore(db)
}

func hashOf(payload string) string {
	h := sha256.Sum256([]byte(payload))
	return hex.EncodeToString(h[:])
}

// testJob is an async job of fn created at t0+at.
func testJob(fn string, at time.Duration) *lambda.Job {
	payload := `{"n":1}`
	return &lambda.Job{
		Function:    fn,
		Trigger:     lambda.TriggerAsync,
		Payload:     json.RawMessage(payload),
		PayloadHash: hashOf(payload),
		CreatedAt:   t0.Add(at),
	}
}

func mustCreate(t *testing.T, s *JobStore, j *lambda.Job) *lambda.Job {
	t.Helper()
	got, created, err := s.CreateJob(context.Background(), lambda.NewJob{Job: j})
	if err != nil || !created {
		t.Fatalf("CreateJob(%s): created %v, %v", j.Function, created, err)
	}
	return got
}

func mustFind(t *testing.T, s *JobStore, id string) *lambda.Job {
	t.Helper()
	j, err := s.FindJob(context.Background(), id)
	if err != nil {
		t.Fatalf("FindJob(%s): %v", id, err)
	}
	return j
}

// setStatus moves a job to status through UpdateJob.
func setStatus(t *testing.T, s *JobStore, j *lambda.Job, status string) {
	t.Helper()
	j.Status = status
	if err := s.UpdateJob(context.Background(), j); err != nil {
		t.Fatalf("UpdateJob(%s → %s): %v", j.ID, status, err)
	}
}

// sameJob compares jobs by their JSON (every field but PayloadHash, which
// it compares on its own), so times compare by instant.
func sameJob(t *testing.T, got, want *lambda.Job) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) || got.PayloadHash != want.PayloadHash {
		t.Fatalf("job =\n%s (hash %s)\nwant\n%s (hash %s)", g, got.PayloadHash, w, want.PayloadHash)
	}
}

func TestJobRoundTrip(t *testing.T) {
	ctx := context.Background()
	_, _, s := jobFixture(t)
	started, finished := t0.Add(time.Second), t0.Add(3*time.Second)
	j := &lambda.Job{
		ID:             "job-1",
		Function:       "greet",
		Qualifier:      "$LATEST",
		Trigger:        lambda.TriggerCron,
		Payload:        json.RawMessage(`{"hello":"world"}`),
		Timeout:        lambda.Duration(2500 * time.Millisecond),
		IdempotencyKey: "key-1",
		PayloadHash:    hashOf(`{"hello":"world"}`),
		Schedule:       "sch_1",
		Overlap:        lambda.OverlapAllow,
		CreatedAt:      t0,
		NextRunAt:      t0.Add(time.Minute),
	}
	got := mustCreate(t, s, j)
	if got.Status != lambda.StatusQueued || got.StartedAt != nil {
		t.Fatalf("created job: status %q, started %v; want queued, not started", got.Status, got.StartedAt)
	}
	sameJob(t, mustFind(t, s, "job-1"), j)

	// Every mutable field, through UpdateJob.
	j.Status = lambda.StatusDead
	j.Attempts = 3
	j.NextRunAt = t0.Add(time.Hour)
	j.StartedAt, j.FinishedAt = &started, &finished
	j.Duration = lambda.Duration(1234 * time.Millisecond)
	j.Version = 7
	j.HTTPStatus = 502
	j.Response = []byte(`{"errorMessage":"boom"}`)
	j.ResponseTruncated = true
	j.FunctionError = "Unhandled"
	j.ErrorType = lambda.EFUNCTION
	j.ErrorMessage = "the function crashed"
	j.History = []lambda.JobAttempt{
		{Attempt: 1, Counted: true, Start: started, Duration: lambda.Duration(time.Second), Version: 7, Status: lambda.StatusFailed,
			HTTPStatus: 502, Cold: true, ErrorType: lambda.EFUNCTION, Error: "boom", Logs: "panic: boom\n"},
		{Attempt: 1, Counted: false, Start: started.Add(time.Second), Status: lambda.StatusFailed, ErrorType: lambda.ETHROTTLED},
	}
	if err := s.UpdateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	sameJob(t, mustFind(t, s, "job-1"), j)

	// The request itself never changes through UpdateJob.
	changed := *j
	changed.Payload, changed.Trigger, changed.Schedule = json.RawMessage(`{}`), lambda.TriggerHTTP, "sch_other"
	if err := s.UpdateJob(ctx, &changed); err != nil {
		t.Fatal(err)
	}
	if got := mustFind(t, s, "job-1"); string(got.Payload) != `{"hello":"world"}` || got.Trigger != lambda.TriggerCron || got.Schedule != "sch_1" {
		t.Fatalf("UpdateJob changed the request: payload %s, trigger %s, schedule %s", got.Payload, got.Trigger, got.Schedule)
	}
}

func TestCreateJobDefaults(t *testing.T) {
	ctx := context.Background()
	db, _, s := jobFixture(t)
	db.Now = func() time.Time { return t0.Add(time.Hour) }

	j := &lambda.Job{Function: "greet", Trigger: lambda.TriggerAsync, Status: lambda.StatusDead}
	got, created, err := s.CreateJob(ctx, lambda.NewJob{Job: j})
	if err != nil || !created {
		t.Fatalf("CreateJob: %v, %v", created, err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(got.ID) {
		t.Errorf("generated ID %q is not a UUID v7", got.ID)
	}
	if !got.CreatedAt.Equal(t0.Add(time.Hour)) || !got.NextRunAt.Equal(got.CreatedAt) {
		t.Errorf("CreatedAt %v NextRunAt %v, want both the store's now %v", got.CreatedAt, got.NextRunAt, t0.Add(time.Hour))
	}
	if got.Status != lambda.StatusQueued || mustFind(t, s, got.ID).Status != lambda.StatusQueued {
		t.Errorf("a new async job is %q, want queued whatever the caller set", got.Status)
	}

	sync := &lambda.Job{Function: "greet", Trigger: lambda.TriggerInvoke, Sync: true, IdempotencyKey: "k", CreatedAt: t0}
	got = mustCreate(t, s, sync)
	stored := mustFind(t, s, got.ID)
	if stored.Status != lambda.StatusRunning || stored.StartedAt == nil || !stored.StartedAt.Equal(t0) || !stored.Sync {
		t.Errorf("a new sync job: status %q started %v sync %v, want running since its creation", stored.Status, stored.StartedAt, stored.Sync)
	}
}

func TestCreateJobChecks(t *testing.T) {
	ctx := context.Background()
	type prior struct {
		job    *lambda.Job
		status string
		update func(*lambda.Job)
	}
	keyed := func(key, payload string, at time.Duration) *lambda.Job {
		j := testJob("greet", at)
		j.IdempotencyKey, j.Payload, j.PayloadHash = key, json.RawMessage(payload), hashOf(payload)
		return j
	}
	syncKeyed := func(key string, at time.Duration) *lambda.Job {
		j := keyed(key, `{}`, at)
		j.Sync, j.Trigger = true, lambda.TriggerInvoke
		return j
	}
	tick := func(schedule, overlap string, at time.Duration) *lambda.Job {
		j := testJob("greet", at)
		j.Trigger, j.Schedule, j.Overlap = lambda.TriggerCron, schedule, overlap
		return j
	}
	tests := []struct {
		name      string
		priors    []prior
		job       *lambda.Job
		maxQueued int
		code      string
		msg       string
		// replay: the create returns the first prior instead of a new job.
		replay bool
	}{
		{"unknown function", nil, testJob("nope", 0), 0, lambda.ENOTFOUND, `function "nope" not found: deploy it first`, false},
		{"no function", nil, testJob("", 0), 0, lambda.EINVALID, "no function name", false},
		{"key over its limit", nil, keyed(strings.Repeat("k", lambda.MaxIdempotencyKeyLength+1), `{}`, 0), 0,
			lambda.EINVALID, "over the limit of 256", false},
		{"taken ID", []prior{{job: &lambda.Job{ID: "dup", Function: "greet"}}}, &lambda.Job{ID: "dup", Function: "other"}, 0,
			lambda.ECONFLICT, `invocation "dup" already exists`, false},

		{"key replays", []prior{{job: keyed("k", `{"a":1}`, 0)}}, keyed("k", `{"a":1}`, time.Hour), 0, "", "", true},
		{"key replays an ended job", []prior{{job: keyed("k", `{"a":1}`, 0), status: lambda.StatusDead}},
			keyed("k", `{"a":1}`, time.Hour), 0, "", "", true},
		{"key with another payload", []prior{{job: keyed("k", `{"a":1}`, 0)}}, keyed("k", `{"a":2}`, time.Hour), 0,
			lambda.EIDEMPOTENCY, `idempotency key "k" was used for invocation`, false},
		{"key of another function", []prior{{job: func() *lambda.Job { j := keyed("k", `{"a":1}`, 0); j.Function = "other"; return j }()}},
			keyed("k", `{"a":2}`, time.Hour), 0, "", "", false},
		{"key past its window", []prior{{job: keyed("k", `{"a":1}`, 0)}}, keyed("k", `{"a":2}`, lambda.IdempotencyWindow), 0, "", "", false},
		{"key just inside its window", []prior{{job: keyed("k", `{"a":1}`, 0)}},
			keyed("k", `{"a":1}`, lambda.IdempotencyWindow-time.Nanosecond), 0, "", "", true},
		{"key of a running sync call", []prior{{job: syncKeyed("k", 0)}}, syncKeyed("k", time.Minute), 0, "", "", true},
		{"key of a sync call that failed before running", []prior{{job: syncKeyed("k", 0), status: lambda.StatusFailed}},
			syncKeyed("k", time.Minute), 0, "", "", false},
		{"key of a sync call that failed in the function", []prior{{job: syncKeyed("k", 0), status: lambda.StatusFailed,
			update: func(j *lambda.Job) { j.Version = 1 }}}, syncKeyed("k", time.Minute), 0, "", "", true},
		{"key of a sync call that succeeded", []prior{{job: syncKeyed("k", 0), status: lambda.StatusSucceeded,
			update: func(j *lambda.Job) { j.Version = 1; j.Response = []byte("hi") }}}, syncKeyed("k", time.Minute), 0, "", "", true},

		{"skip: a tick queued", []prior{{job: tick("sch_1", lambda.OverlapSkip, 0)}}, tick("sch_1", lambda.OverlapSkip, time.Minute), 0,
			lambda.ECONFLICT, `schedule "sch_1" already has invocation`, false},
		{"skip: a tick running", []prior{{job: tick("sch_1", lambda.OverlapSkip, 0), status: lambda.StatusRunning}},
			tick("sch_1", lambda.OverlapSkip, time.Minute), 0, lambda.ECONFLICT, "with overlap skip", false},
		{"skip: a tick retrying", []prior{{job: tick("sch_1", lambda.OverlapSkip, 0), status: lambda.StatusRetrying}},
			tick("sch_1", lambda.OverlapSkip, time.Minute), 0, lambda.ECONFLICT, "retrying", false},
		{"skip: the last tick ended", []prior{{job: tick("sch_1", lambda.OverlapSkip, 0), status: lambda.StatusSucceeded}},
			tick("sch_1", lambda.OverlapSkip, time.Minute), 0, "", "", false},
		{"skip: another schedule's tick", []prior{{job: tick("sch_2", lambda.OverlapSkip, 0)}},
			tick("sch_1", lambda.OverlapSkip, time.Minute), 0, "", "", false},
		{"queue: a tick running", []prior{{job: tick("sch_1", lambda.OverlapQueue, 0), status: lambda.StatusRunning}},
			tick("sch_1", lambda.OverlapQueue, time.Minute), 0, "", "", false},
		{"queue: a tick waiting", []prior{
			{job: tick("sch_1", lambda.OverlapQueue, 0), status: lambda.StatusRunning},
			{job: tick("sch_1", lambda.OverlapQueue, time.Minute)}},
			tick("sch_1", lambda.OverlapQueue, 2*time.Minute), 0, lambda.ECONFLICT, "with overlap queue", false},
		{"queue: a tick retrying", []prior{{job: tick("sch_1", lambda.OverlapQueue, 0), status: lambda.StatusRetrying}},
			tick("sch_1", lambda.OverlapQueue, time.Minute), 0, lambda.ECONFLICT, "retrying", false},
		{"allow: ticks pile up", []prior{{job: tick("sch_1", lambda.OverlapAllow, 0)}, {job: tick("sch_1", lambda.OverlapAllow, time.Second)}},
			tick("sch_1", lambda.OverlapAllow, time.Minute), 0, "", "", false},

		{"queue full", []prior{{job: testJob("greet", 0)}, {job: testJob("greet", 1), status: lambda.StatusRetrying}},
			testJob("greet", time.Minute), 2, lambda.ETHROTTLED, `function "greet" has 2 queued invocations, its limit: retry later or raise --max-queued-jobs`, false},
		{"running and ended jobs are not queued", []prior{{job: testJob("greet", 0), status: lambda.StatusRunning},
			{job: testJob("greet", 1), status: lambda.StatusDead}, {job: testJob("greet", 2)}},
			testJob("greet", time.Minute), 2, "", "", false},
		{"another function's queue", []prior{{job: testJob("other", 0)}, {job: testJob("other", 1)}},
			testJob("greet", time.Minute), 2, "", "", false},
		{"sync jobs do not queue", []prior{{job: testJob("greet", 0)}}, syncKeyed("k", time.Minute), 1, "", "", false},
		{"a replay passes a full queue", []prior{{job: keyed("k", `{}`, 0)}}, keyed("k", `{}`, time.Minute), 1, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, s := jobFixture(t)
			var first *lambda.Job
			for _, p := range tt.priors {
				j := mustCreate(t, s, p.job)
				if p.update != nil {
					p.update(j)
				}
				if p.status != "" {
					setStatus(t, s, j, p.status)
				}
				if first == nil {
					first = mustFind(t, s, j.ID)
				}
			}
			counts, _ := s.CountJobs(ctx)
			got, created, err := s.CreateJob(ctx, lambda.NewJob{Job: tt.job, MaxQueued: tt.maxQueued})
			checkErr(t, err, tt.code, tt.msg)
			if err != nil {
				if tt.code == lambda.EIDEMPOTENCY && !strings.Contains(err.Error(), first.ID) {
					t.Errorf("EIDEMPOTENCY %q does not name the invocation %s", err, first.ID)
				}
				if tt.code == lambda.ETHROTTLED && lambda.ThrottleReasonOf(err) != lambda.ThrottleAsyncQueueFull {
					t.Errorf("throttled for reason %q, want %q", lambda.ThrottleReasonOf(err), lambda.ThrottleAsyncQueueFull)
				}
				if after, _ := s.CountJobs(ctx); !reflect.DeepEqual(after, counts) {
					t.Errorf("a refused create changed the counts: %v, then %v", counts, after)
				}
				return
			}
			if tt.replay {
				if created {
					t.Fatal("created a job; want the existing one")
				}
				sameJob(t, got, first)
				return
			}
			if !created || got.ID == "" {
				t.Fatalf("created %v, id %q; want a new job", created, got.ID)
			}
			sameJob(t, mustFind(t, s, got.ID), got)
			if tt.job.IdempotencyKey != "" {
				// The key now names the new job.
				again, created, err := s.CreateJob(ctx, lambda.NewJob{Job: &lambda.Job{Function: tt.job.Function,
					IdempotencyKey: tt.job.IdempotencyKey, PayloadHash: tt.job.PayloadHash, CreatedAt: tt.job.CreatedAt.Add(time.Second)}})
				if err != nil || created || again.ID != got.ID {
					t.Fatalf("the key again: %v, created %v, %v; want the new job %s", again, created, err, got.ID)
				}
			}
		})
	}
}

func TestUpdateJob(t *testing.T) {
	ctx := context.Background()
	db, fs, s := jobFixture(t)
	db.Now = func() time.Time { return t0.Add(time.Hour) }
	j := mustCreate(t, s, testJob("greet", 0))

	t.Run("bounds", func(t *testing.T) {
		j.Status = lambda.StatusSucceeded
		j.FinishedAt = nil
		for i := range lambda.MaxJobAttemptsKept + 5 {
			j.History = append(j.History, lambda.JobAttempt{Attempt: i + 1, Counted: true, Start: t0, Status: lambda.StatusFailed})
		}
		j.Response = make([]byte, lambda.MaxStoredResponseBytes+10)
		if err := s.UpdateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		got := mustFind(t, s, j.ID)
		if n := len(got.History); n != lambda.MaxJobAttemptsKept || got.History[0].Attempt != 6 || got.History[n-1].Attempt != lambda.MaxJobAttemptsKept+5 {
			t.Errorf("history kept %d attempts from %d, want the newest %d", n, got.History[0].Attempt, lambda.MaxJobAttemptsKept)
		}
		if len(got.Response) != lambda.MaxStoredResponseBytes || !got.ResponseTruncated {
			t.Errorf("response of %d bytes, truncated %v; want %d, truncated", len(got.Response), got.ResponseTruncated, lambda.MaxStoredResponseBytes)
		}
		if got.FinishedAt == nil || !got.FinishedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("an ended job without FinishedAt got %v, want now", got.FinishedAt)
		}
	})

	tests := []struct {
		name string
		job  *lambda.Job
		code string
		msg  string
	}{
		{"unknown", &lambda.Job{ID: "nope", Status: lambda.StatusQueued}, lambda.ENOTFOUND, "`lambda invocations NAME`"},
		{"no ID", &lambda.Job{Status: lambda.StatusQueued}, lambda.EINVALID, "no ID"},
		{"bad status", &lambda.Job{ID: j.ID, Status: "done"}, lambda.EINVALID, `status "done" is unknown: use one of queued, running`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, s.UpdateJob(ctx, tt.job), tt.code, tt.msg)
		})
	}

	t.Run("function deleted", func(t *testing.T) {
		if err := fs.DeleteFunction(ctx, "greet"); err != nil {
			t.Fatal(err)
		}
		checkErr(t, s.UpdateJob(ctx, j), lambda.ENOTFOUND, j.ID)
	})
}

func TestFindJobNotFound(t *testing.T) {
	_, _, s := jobFixture(t)
	_, err := s.FindJob(context.Background(), "nope")
	checkErr(t, err, lambda.ENOTFOUND, "invocation \"nope\" not found: list a function's invocations with `lambda invocations NAME`")
}

func TestJobStoreNotOpen(t *testing.T) {
	ctx := context.Background()
	s := NewJobStore(NewDB("unused.db"))
	_, _, err := s.CreateJob(ctx, lambda.NewJob{Job: testJob("greet", 0)})
	checkErr(t, err, lambda.EUNAVAILABLE, "")
	_, err = s.FindJob(ctx, "x")
	checkErr(t, err, lambda.EUNAVAILABLE, "")
	_, err = s.ClaimJobs(ctx, "greet", t0, 1)
	checkErr(t, err, lambda.EUNAVAILABLE, "")
	_, err = s.DueJobs(ctx)
	checkErr(t, err, lambda.EUNAVAILABLE, "")
}

func TestDeleteFunctionTakesItsJobs(t *testing.T) {
	ctx := context.Background()
	_, fs, s := jobFixture(t)
	keyed := testJob("greet", 0)
	keyed.IdempotencyKey = "k"
	gone := []*lambda.Job{mustCreate(t, s, keyed), mustCreate(t, s, testJob("greet", 1))}
	kept := mustCreate(t, s, testJob("other", 2))
	if err := fs.DeleteFunction(ctx, "greet"); err != nil {
		t.Fatal(err)
	}
	for _, j := range gone {
		if _, err := s.FindJob(ctx, j.ID); lambda.ErrorCode(err) != lambda.ENOTFOUND {
			t.Errorf("job %s of the deleted function: %v, want ENOTFOUND", j.ID, err)
		}
	}
	mustFind(t, s, kept.ID)
	counts, err := s.CountJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]map[string]int{"other": {lambda.StatusQueued: 1}}; !reflect.DeepEqual(counts, want) {
		t.Errorf("counts = %v, want %v", counts, want)
	}
	// A function deployed again under the name starts afresh: no key, no count.
	mustPublish(t, fs, testVersion("greet", 1))
	again := testJob("greet", 3)
	again.IdempotencyKey, again.PayloadHash = "k", "another"
	if _, created, err := s.CreateJob(ctx, lambda.NewJob{Job: again, MaxQueued: 1}); err != nil || !created {
		t.Fatalf("CreateJob after redeploy: created %v, %v", created, err)
	}
	var keys int
	if err := s.db.read.QueryRow(`SELECT COUNT(*) FROM idempotency_keys`).Scan(&keys); err != nil || keys != 1 {
		t.Errorf("%d idempotency keys (%v), want the new one only", keys, err)
	}
}
