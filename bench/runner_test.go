package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePlatform plays the platform: its "gateway" reports a cold start for
// the first request after each ScaleToZero, except when scaling down was
// made to fail (every failEvery-th call), as a platform that kept an
// instance would.
type fakePlatform struct {
	mu        sync.Mutex
	direct    string
	zero      bool
	calls     int
	failEvery int
	started   []int
	paused    int
	pauseErr  error // every PauseInstance fails with it
}

func (f *fakePlatform) WarmInstance(context.Context, int) (string, error) { return f.direct, nil }

func (f *fakePlatform) ScaleToZero(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.zero = f.failEvery == 0 || f.calls%f.failEvery != 0
	return nil
}

// PauseInstance leaves an instance (paused): the next request is not a
// cold start.
func (f *fakePlatform) PauseInstance(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paused++
	f.zero = false
	return f.pauseErr
}

func (f *fakePlatform) StartInstances(_ context.Context, n int) error {
	time.Sleep(10 * time.Millisecond)
	f.mu.Lock()
	f.started = append(f.started, n)
	f.mu.Unlock()
	return nil
}

// takeCold reports whether a request finds no instance, and leaves one.
func (f *fakePlatform) takeCold() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	cold := f.zero
	f.zero = false
	return cold
}

type fakeBare struct {
	runs    int
	started []int // n of each StartMany
}

func (b *fakeBare) StartMany(_ context.Context, n int) (time.Duration, error) {
	time.Sleep(20 * time.Millisecond)
	b.started = append(b.started, n)
	return 20 * time.Millisecond, nil
}

func (b *fakeBare) ColdStart(context.Context) (time.Duration, error) {
	return 300 * time.Millisecond, nil
}

func (b *fakeBare) RunOnce(_ context.Context, stdin []byte) ([]byte, error) {
	time.Sleep(5 * time.Millisecond)
	if !bytes.Equal(stdin, StdioInput) {
		return nil, fmt.Errorf("stdin %q", stdin)
	}
	return StdioOutput, nil
}

func tinyPlan() Plan {
	return Plan{
		Mode: "test", LatencyRounds: 2, LatencyRequests: 20, RPSRounds: 2, RPSDuration: 50 * time.Millisecond,
		Concurrency: 4, WarmupRequests: 10, ColdSamples: 4, StdioRounds: 2, StdioDuration: 50 * time.Millisecond,
		StdioConcurrency: 2, ScaleInstances: 3, ScaleRounds: 2,
		DispatchSamples: 5, AsyncRounds: 2, AsyncJobs: 50, AsyncWarmupJobs: 10,
	}
}

// fakeRunner runs every phase but deploy against fp, fake Docker and a
// fake gateway and API.
func fakeRunner(t *testing.T, fp *fakePlatform) (*Runner, *fakeBare, *bytes.Buffer) {
	t.Helper()
	direct := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(direct.Close)
	fp.direct = strings.TrimPrefix(direct.URL, "http://")
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Host {
		case "http.localhost":
			w.Header().Set(HeaderColdStart, fmt.Sprint(fp.takeCold()))
			fmt.Fprint(w, "ok")
		case "stdio.localhost":
			w.Write(StdioOutput)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(gateway.Close)

	q := newFakeQueue()
	api := httptest.NewServer(q)
	t.Cleanup(api.Close)

	var progress bytes.Buffer
	fb := &fakeBare{}
	return &Runner{
		Plan: tinyPlan(), Platform: fp, Bare: fb,
		HTTP:     Endpoint{URL: gateway.URL + "/", Host: "http.localhost"},
		Stdio:    Endpoint{URL: gateway.URL + "/", Host: "stdio.localhost"},
		Async:    Endpoint{URL: api.URL + "/v1/functions/http/invocations"},
		Invoke:   Endpoint{URL: api.URL + "/v1/functions/http/invoke"},
		Queue:    q,
		Machine:  DetectMachine(),
		Progress: &progress,
	}, fb, &progress
}

func TestRunnerWithFakes(t *testing.T) {
	fp := &fakePlatform{failEvery: 5}
	r, fb, progress := fakeRunner(t, fp)
	rep, err := r.Run(context.Background())
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, progress.String())
	}
	if len(rep.Failures) != 0 {
		t.Errorf("failures %+v in a run without any", rep.Failures)
	}
	w, c, s, sc := rep.Warm, rep.Cold, rep.Stdio, rep.Scale
	if w.LatencySamples != 40 || w.DirectP50Ms <= 0 || w.GatewayP50Ms <= 0 || w.DirectRPS <= 0 || w.GatewayRPS <= 0 || w.RPSRatio <= 0 || w.Errors != 0 || w.DirectCPUUsPerReq <= 0 {
		t.Errorf("warm = %+v", w)
	}
	// Every sample scales to zero first: calls 1 and 2 for the warm-up
	// pair, then odd calls before gateway samples. Call 5 "fails" (round
	// 2), so one of the four gateway samples is discarded.
	if c.GatewaySamples != 3 || c.Discarded != 1 || c.BareSamples != 4 || c.BareP50Ms != 300 || c.Ratio >= 1 {
		t.Errorf("cold = %+v; want 3 gateway samples, 1 discarded, 4 bare at 300 ms", c)
	}
	if s.PerCallRPS <= 0 || s.PoolRPS <= 0 || s.Ratio <= 0 || s.Errors != 0 || s.PerCallP50Ms < 5 {
		t.Errorf("stdio = %+v", s)
	}
	if sc.Instances != 3 || sc.Rounds != 2 || sc.ContainersPerS <= 0 || sc.SecondsP50 < 0.01 || len(fp.started) != 2 {
		t.Errorf("scale = %+v, started %v", sc, fp.started)
	}
	// The bare side starts as many containers as the platform, once a round.
	if sc.BareSecondsP50 != 0.02 || sc.BareContainersPerS != 150 || sc.Ratio != ratio(sc.ContainersPerS, 150) || len(fb.started) != 2 || fb.started[0] != 3 {
		t.Errorf("scale = %+v, bare started %v; want 2 bare rounds of 3 in 20 ms", sc, fb.started)
	}
	if a := rep.Async; a.DispatchSamples != 5 || a.Enqueued != 100 || a.ThroughputRatio <= 0 || a.Errors+a.FailedJobs != 0 {
		t.Errorf("async = %+v", a)
	}
	if c.PausedSamples != 4 || c.PausedDiscarded != 0 || c.PausedP50Ms <= 0 || fp.paused != 5 {
		t.Errorf("cold from paused = %+v after %d pauses; want 4 samples after 5 pauses (one unmeasured)", c, fp.paused)
	}
	if len(rep.Targets) < 9 || rep.Mode != "test" || rep.Machine.Cores == 0 {
		t.Errorf("report = %+v", rep)
	}
	if !strings.Contains(progress.String(), "sample discarded") {
		t.Errorf("progress does not mention the discarded sample:\n%s", progress.String())
	}
}

// TestRunnerKeepsFinishedPhases: a measurement that fails leaves the
// figures of the others in the report, before and after it, with its
// error, and without its targets; Run still fails. It returned no report,
// so lambda bench printed nothing after minutes of measurements.
func TestRunnerKeepsFinishedPhases(t *testing.T) {
	fp := &fakePlatform{pauseErr: errors.New("cold request through the gateway answered 504 Gateway Timeout")}
	r, _, progress := fakeRunner(t, fp)
	rep, err := r.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cold: cold request through the gateway answered 504") {
		t.Errorf("err = %v, want the paused measurement's", err)
	}
	if rep == nil {
		t.Fatalf("no report\nprogress:\n%s", progress.String())
	}
	if rep.Warm.GatewayRPS <= 0 || rep.Async.Enqueued == 0 || rep.Cold.GatewaySamples == 0 || rep.Stdio.PoolRPS <= 0 || rep.Scale.ContainersPerS <= 0 {
		t.Errorf("report = %+v, want every phase's figures but the paused ones", rep)
	}
	want := []Failure{{Phase: "cold", Figures: "cold.paused_*", Error: fp.pauseErr.Error()}}
	if !slices.Equal(rep.Failures, want) {
		t.Errorf("failures = %+v, want %+v", rep.Failures, want)
	}
	for _, tg := range rep.Targets {
		if tg.Figure == "cold.paused_p50_ms" {
			t.Errorf("target %+v of the failed measurement is reported", tg)
		}
	}
	var table bytes.Buffer
	if err := WriteTable(&table, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "FAILED") || !strings.Contains(table.String(), "cold (cold.paused_*): cold request through the gateway answered 504") {
		t.Errorf("the table does not show the failure:\n%s", table.String())
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"failures":[{"phase":"cold","figures":"cold.paused_*","error":"cold request`) {
		t.Errorf("the JSON report does not hold the failure: %s", b)
	}
}

func TestRunnerFailsWithoutColdStarts(t *testing.T) {
	direct := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer direct.Close()
	// A gateway that never reports a cold start: no sample can be kept.
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(HeaderColdStart, "false")
		fmt.Fprint(w, "ok")
	}))
	defer gateway.Close()
	q := newFakeQueue()
	api := httptest.NewServer(q)
	defer api.Close()
	r := &Runner{
		Plan: tinyPlan(), Platform: &fakePlatform{direct: strings.TrimPrefix(direct.URL, "http://")}, Bare: &fakeBare{},
		HTTP: Endpoint{URL: gateway.URL + "/", Host: "http.localhost"}, Stdio: Endpoint{URL: gateway.URL + "/"},
		Async: Endpoint{URL: api.URL + "/v1/functions/http/invocations"}, Invoke: Endpoint{URL: api.URL + "/v1/functions/http/invoke"}, Queue: q,
	}
	if _, err := r.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "cold start") {
		t.Errorf("err = %v, want a cold phase failure", err)
	}
}

func TestRunnerRunsOnlyTheGivenPhases(t *testing.T) {
	direct := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer direct.Close()
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer gateway.Close()
	// No Bare and no Queue: a phase that used them would fail.
	r := &Runner{
		Plan: tinyPlan(), Platform: &fakePlatform{direct: strings.TrimPrefix(direct.URL, "http://")},
		HTTP: Endpoint{URL: gateway.URL + "/", Host: "http.localhost"}, Phases: []string{"warm"},
	}
	rep, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Warm.GatewayRPS <= 0 || rep.Cold.BareSamples != 0 || rep.Async.Enqueued != 0 || rep.Stdio.PoolCalls != 0 {
		t.Errorf("report = %+v, want the warm figures alone", rep)
	}
	var figures []string
	for _, tg := range rep.Targets {
		figures = append(figures, tg.Figure)
	}
	// The gateway's CPU target comes only with a measured CPU figure.
	if got := strings.TrimSuffix(strings.Join(figures, " "), " warm.gateway_cpu_us_per_req"); got != "warm.rps_ratio warm.added_p50_ms" {
		t.Errorf("targets %v, want the warm phase's alone", figures)
	}
}
