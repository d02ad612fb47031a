package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeQueue plays the API of asynchronous invocations and the queue behind
// it. A job is committed as it is submitted and "runs" at once: the
// function's clock reading is the commit plus receiveAfter, and the job
// ends at the commit plus runFor. The 202 of a ClockEvent leaves ackDelay
// after the commit (the server dispatches while it writes the 202), and
// Committed reports the commit shifted by commitSkew (a wrong record).
// Every failEvery-th job fails, and with lose set the first job of a
// round is acknowledged and never stored.
type fakeQueue struct {
	receiveAfter, runFor time.Duration
	ackDelay, commitSkew time.Duration
	failEvery            int
	lose                 bool

	mu        sync.Mutex
	jobs      map[string]*fakeJob
	n         int
	invoked   int    // synchronous calls through the invoke API
	auth      string // Authorization header of the last submission
	lastEvent []byte
}

type fakeJob struct {
	created, ended time.Time // created: the commit
	failed         bool
	response       []byte
}

func newFakeQueue() *fakeQueue {
	return &fakeQueue{receiveAfter: 50 * time.Millisecond, runFor: time.Millisecond, jobs: map[string]*fakeJob{}}
}

func (q *fakeQueue) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/v1/functions/http/invoke" {
		q.mu.Lock()
		q.invoked++
		q.mu.Unlock()
		fmt.Fprint(w, "ok")
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/functions/http/invocations" {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	now := time.Now()
	q.mu.Lock()
	q.n++
	id := "job-" + strconv.Itoa(q.n)
	q.auth, q.lastEvent = r.Header.Get("Authorization"), body
	j := &fakeJob{created: now, ended: now.Add(q.runFor), failed: q.failEvery > 0 && q.n%q.failEvery == 0, response: []byte("ok")}
	if bytes.Equal(body, ClockEvent) {
		j.response = []byte(strconv.FormatInt(now.Add(q.receiveAfter).UnixNano(), 10))
	}
	if !q.lose || q.n%1000 != 1 {
		q.jobs[id] = j
	}
	q.mu.Unlock()
	if bytes.Equal(body, ClockEvent) {
		time.Sleep(q.ackDelay)
	}
	w.Header().Set("Location", "/v1/invocations/"+id)
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(map[string]string{"id": id, "status": "queued"})
}

func (q *fakeQueue) JobResponse(_ context.Context, id string) ([]byte, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	j, ok := q.jobs[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("invocation %s not found", id)
	case j.failed:
		return nil, fmt.Errorf("invocation %s failed", id)
	}
	return j.response, nil
}

func (q *fakeQueue) Committed(id string) (time.Time, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	j, ok := q.jobs[id]
	if !ok {
		return time.Time{}, fmt.Errorf("invocation %s not found", id)
	}
	return j.created.Add(q.commitSkew), nil
}

func (q *fakeQueue) WaitIdle(context.Context) error { return nil }

func (q *fakeQueue) SumJobs(_ context.Context, since time.Time) (Jobs, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out Jobs
	for _, j := range q.jobs {
		if j.created.Before(since) {
			continue
		}
		out.Ended++
		if !j.failed {
			out.Succeeded++
		}
		if j.ended.After(out.LastEnd) {
			out.LastEnd = j.ended
		}
	}
	return out, nil
}

// asyncRunner is a Runner whose async phase can run alone: a gateway that
// answers "ok", the fake queue behind an API that wants a key.
func asyncRunner(t *testing.T, q *fakeQueue) *Runner {
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(gateway.Close)
	api := httptest.NewServer(q)
	t.Cleanup(api.Close)
	return &Runner{
		Plan:     tinyPlan(),
		Platform: &fakePlatform{},
		HTTP:     Endpoint{URL: gateway.URL + "/", Host: "http.localhost"},
		Async:    Endpoint{URL: api.URL + "/v1/functions/http/invocations", Header: http.Header{"Authorization": {"Bearer k"}}},
		Invoke:   Endpoint{URL: api.URL + "/v1/functions/http/invoke", Header: http.Header{"Authorization": {"Bearer k"}}},
		Queue:    q,
	}
}

func TestAsyncFigures(t *testing.T) {
	q := newFakeQueue()
	q.failEvery = 17
	r := asyncRunner(t, q)
	var rep Report
	if err := r.async(context.Background(), &rep); err != nil {
		t.Fatal(err)
	}
	a, p := rep.Async, r.Plan
	if q.auth != "Bearer k" {
		t.Errorf("submissions carried Authorization %q", q.auth)
	}
	if a.DispatchSamples != p.DispatchSamples {
		t.Errorf("dispatch samples = %d, want %d", a.DispatchSamples, p.DispatchSamples)
	}
	// The function "receives" each event 50 ms after its commit, and
	// submit → run adds the request's way to the API.
	if a.DispatchP50Ms != 50 || a.DispatchP99Ms != 50 {
		t.Errorf("dispatch p50 %v ms, p99 %v ms; want 50", a.DispatchP50Ms, a.DispatchP99Ms)
	}
	if a.SubmitToRunP50Ms < 50 || a.SubmitToRunP50Ms < a.DispatchP50Ms {
		t.Errorf("submit to run p50 = %v ms, want at least 50 and at least dispatch's %v", a.SubmitToRunP50Ms, a.DispatchP50Ms)
	}
	if a.Enqueued != p.AsyncRounds*p.AsyncJobs || a.Errors != 0 {
		t.Errorf("enqueued %d with %d errors, want %d without", a.Enqueued, a.Errors, p.AsyncRounds*p.AsyncJobs)
	}
	if a.EnqueuePerS <= 0 || a.EnqueueP50Ms <= 0 || a.EnqueueP99Ms < a.EnqueueP50Ms {
		t.Errorf("enqueue = %v/s, p50 %v ms, p99 %v ms", a.EnqueuePerS, a.EnqueueP50Ms, a.EnqueueP99Ms)
	}
	if a.SyncRPS <= 0 || a.AsyncPerS <= 0 || abs(a.ThroughputRatio-a.AsyncPerS/a.SyncRPS) > 0.01 {
		t.Errorf("sync %v/s, async %v/s, ratio %v", a.SyncRPS, a.AsyncPerS, a.ThroughputRatio)
	}
	if q.invoked == 0 || a.SyncAPIRPS <= 0 || abs(a.APIRatio-a.AsyncPerS/a.SyncAPIRPS) > 0.01 {
		t.Errorf("%d calls through the invoke API: %v/s, ratio %v", q.invoked, a.SyncAPIRPS, a.APIRatio)
	}
	if a.SyncCPUUs <= 0 || a.JobCPUUs <= 0 {
		t.Errorf("CPU per request %v µs, per job %v µs", a.SyncCPUUs, a.JobCPUUs)
	}
	// Jobs 17, 34, … fail; only those of the rounds count (the warm-up's
	// are not measured, and no dispatch sample is among them).
	wantFailed := 0
	for n := p.AsyncWarmupJobs + p.DispatchSamples + 1; n <= q.n; n++ {
		if n%17 == 0 {
			wantFailed++
		}
	}
	if a.FailedJobs != wantFailed {
		t.Errorf("failed jobs = %d, want %d", a.FailedJobs, wantFailed)
	}
	if a.Concurrency != p.Concurrency || a.Rounds != p.AsyncRounds || a.JobsPerRound != p.AsyncJobs {
		t.Errorf("async = %+v", a)
	}
}

// The throughput counts jobs completed from the first submission to the
// end of the last job, not to the last 202.
func TestAsyncThroughputCountsToTheLastEnd(t *testing.T) {
	q := newFakeQueue()
	q.runFor = 2 * time.Second // every job ends 2 s after its submission
	r := asyncRunner(t, q)
	res, err := r.asyncRound(context.Background(), NewTransport(8), 100)
	if err != nil {
		t.Fatal(err)
	}
	if res.jobs.Ended != 100 || res.jobs.Succeeded != 100 || res.submit.OK != 100 {
		t.Errorf("round = %+v", res)
	}
	if res.completion < 2*time.Second || res.completion > 2*time.Second+res.submit.Elapsed+time.Second {
		t.Errorf("completion = %s, want 2 s plus the submissions' %s", res.completion, res.submit.Elapsed)
	}
	if q.lastEvent == nil || !bytes.Equal(q.lastEvent, noopEvent) {
		t.Errorf("throughput events = %q, want %q", q.lastEvent, noopEvent)
	}
}

// An acknowledged job that never ends is a lost job: the round fails.
func TestAsyncRoundFailsOnLostJobs(t *testing.T) {
	q := newFakeQueue()
	q.lose = true
	r := asyncRunner(t, q)
	_, err := r.asyncRound(context.Background(), NewTransport(8), 50)
	if err == nil || !strings.Contains(err.Error(), "50 events were accepted (202) but only 49 jobs ended") {
		t.Errorf("err = %v", err)
	}
}

func TestAsyncRefusedSubmission(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"code":"throttled"}`)
	}))
	defer api.Close()
	r := asyncRunner(t, newFakeQueue())
	r.Async.URL = api.URL
	if _, _, err := r.dispatchSample(context.Background(), NewTransport(1)); err == nil || !strings.Contains(err.Error(), "status 429, want 202") {
		t.Errorf("dispatch sample: err = %v", err)
	}
	if _, err := r.asyncRound(context.Background(), NewTransport(8), 20); err == nil || !strings.Contains(err.Error(), "status 429") {
		t.Errorf("round: err = %v", err)
	}
}

// A function whose clock is behind the bench's (Docker on another host)
// cannot be timed: the sample fails rather than report nonsense.
func TestAsyncDispatchOtherClock(t *testing.T) {
	q := newFakeQueue()
	q.receiveAfter = -time.Hour
	r := asyncRunner(t, q)
	if _, _, err := r.dispatchSample(context.Background(), NewTransport(1)); err == nil || !strings.Contains(err.Error(), "its clock is not the bench's") {
		t.Errorf("err = %v", err)
	}
}

// The server dispatches a job as soon as it is committed, while it writes
// the 202: the function may receive the event before the bench has its
// 202. Dispatch runs from the commit, never from the 202, so it is the
// commit → function time, not a negative one.
func TestAsyncDispatchFromTheCommit(t *testing.T) {
	q := newFakeQueue()
	q.receiveAfter, q.ackDelay = time.Millisecond, 30*time.Millisecond
	r := asyncRunner(t, q)
	var rep Report
	if err := r.async(context.Background(), &rep); err != nil {
		t.Fatal(err)
	}
	a := rep.Async
	if a.DispatchP50Ms != 1 || a.DispatchP99Ms != 1 {
		t.Errorf("dispatch p50 %v ms, p99 %v ms; want 1 (commit → function)", a.DispatchP50Ms, a.DispatchP99Ms)
	}
	if a.SubmitToRunP50Ms < 1 {
		t.Errorf("submit to run p50 = %v ms, want at least dispatch's 1", a.SubmitToRunP50Ms)
	}
}

// A commit the bench cannot place between the request and its 202, or a
// function that receives the event before its commit, is an error of the
// bench (its clocks or its commit record), never a figure.
func TestAsyncDispatchImpossibleOrder(t *testing.T) {
	for _, tc := range []struct {
		name                               string
		receiveAfter, ackDelay, commitSkew time.Duration
		want                               string
	}{
		{"received before the commit", time.Millisecond, 50 * time.Millisecond, 10 * time.Millisecond, "before its commit"},
		{"commit before the request", 2 * time.Hour, 0, -time.Hour, "not between the request sent"},
		{"commit after the 202", 2 * time.Hour, 0, time.Hour, "not between the request sent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newFakeQueue()
			q.receiveAfter, q.ackDelay, q.commitSkew = tc.receiveAfter, tc.ackDelay, tc.commitSkew
			r := asyncRunner(t, q)
			d, _, err := r.dispatchSample(context.Background(), NewTransport(1))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("dispatch %s, err = %v; want an error %q", d, err, tc.want)
			}
		})
	}
}

func TestPerOp(t *testing.T) {
	for _, tc := range []struct {
		cpu  time.Duration
		ops  int
		want float64
	}{
		{time.Second, 10000, 100},
		{1500 * time.Microsecond, 4, 375},
		{time.Second, 0, 0},
		{0, 5, 0},
	} {
		if got := perOp(tc.cpu, tc.ops); got != tc.want {
			t.Errorf("perOp(%s, %d) = %v, want %v", tc.cpu, tc.ops, got, tc.want)
		}
	}
}

func TestParseClock(t *testing.T) {
	for _, tc := range []struct {
		answer string
		want   int64 // 0: an error
	}{
		{"1764964800123456789", 1764964800123456789},
		{"1764964800123456789\n", 1764964800123456789},
		{"ok", 0},
		{"", 0},
		{"-5", 0},
		{`{"clock":true}`, 0},
	} {
		got, err := parseClock([]byte(tc.answer))
		switch {
		case tc.want == 0 && err == nil:
			t.Errorf("parseClock(%q) = %v, want an error", tc.answer, got)
		case tc.want != 0 && (err != nil || got.UnixNano() != tc.want):
			t.Errorf("parseClock(%q) = %v, %v; want %d", tc.answer, got, err, tc.want)
		}
	}
}
