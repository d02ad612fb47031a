package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Platform is the Lambda platform under test, driven between measurements
// (never during one) to put the http bench function in the state a
// measurement needs.
type Platform interface {
	// WarmInstance leaves the http bench function with exactly one warm
	// instance that takes at least concurrency requests at once, and
	// returns its address (host:port) for direct requests.
	WarmInstance(ctx context.Context, concurrency int) (addr string, err error)
	// ScaleToZero stops every instance of the http bench function and
	// returns once none is left, so the next request is a cold start.
	ScaleToZero(ctx context.Context) error
	// PauseInstance leaves the http bench function with exactly one
	// instance, paused (no instance in service), and returns once its
	// container is frozen, so the next request resumes it.
	PauseInstance(ctx context.Context) error
	// StartInstances has the platform start n instances of the http bench
	// function in parallel and returns once all n serve.
	StartInstances(ctx context.Context, n int) error
}

// Bare is the baseline: the Docker API used directly, no platform.
type Bare interface {
	// ColdStart creates and starts a container of the http bench
	// function's image, waits for its first 200, removes it, and returns
	// the time from the create call to the first 200.
	ColdStart(ctx context.Context) (time.Duration, error)
	// RunOnce runs the stdio bench function's command in a container of
	// its own, stdin attached, and returns what it wrote to stdout.
	RunOnce(ctx context.Context, stdin []byte) ([]byte, error)
	// StartMany creates and starts n containers of the http bench
	// function's image at once, waits until every one answers 200,
	// removes them, and returns the time until the last one answered.
	StartMany(ctx context.Context, n int) (time.Duration, error)
}

// Runner runs the comparisons of a Plan.
type Runner struct {
	Plan     Plan
	Platform Platform
	Bare     Bare
	// HTTP and Stdio are the bench functions behind the gateway.
	HTTP, Stdio Endpoint
	// Async submits asynchronous invocations of the http bench function
	// (POST /v1/functions/NAME/invocations, with the credentials it
	// needs), Invoke invokes it synchronously through the API (POST
	// /v1/functions/NAME/invoke); Queue reads the jobs they queue.
	Async  Endpoint
	Invoke Endpoint
	Queue  Queue
	// Deployer deploys the deploy phase's functions; without it the phase
	// is left out.
	Deployer Deployer
	// Preinit readies the Deployer's functions for cold starts from
	// pre-initialized instances; without it they are not measured.
	Preinit  Preiniter
	Machine  Machine
	Progress io.Writer // progress lines; nil discards them
	// Phase, if set, is called as each phase (warm, async, cold, stdio, scale)
	// begins and ends, e.g. to profile one of them.
	Phase func(name string, begin bool)
	// Phases, if set, are the only phases run (e.g. warm alone, to
	// compare two builds quickly); the report keeps only their targets.
	Phases []string
}

// Run measures everything and returns the report. A measurement that
// fails does not end the run (unless ctx did): its error is in the
// report's Failures, its targets are left out, the others go on, and Run
// returns the report with an error that names every failure.
func (r *Runner) Run(ctx context.Context) (*Report, error) {
	start := time.Now()
	rep := &Report{Mode: r.Plan.Mode, Date: start.UTC().Truncate(time.Second), Machine: r.Machine}
	// figures is the prefix of the report's figures each one measures.
	steps := []struct {
		phase, figures string
		run            func(context.Context, *Report) error
	}{
		{"warm", "warm.", r.warm},
		// async reuses warm's instance, before cold scales it away.
		{"async", "async.", r.async},
		{"cold", "cold.ratio", r.cold},
		{"cold", "cold.paused_", r.coldPaused},
		{"cold", "cold.preinit_", r.coldPreinit},
		{"stdio", "stdio.", r.stdio},
		{"scale", "scale.", r.scale},
		{"deploy", "deploy.", r.deploy},
	}
	var failed []string
	for _, st := range steps {
		if !r.runs(st.phase) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		t := time.Now()
		r.phase(st.phase, true)
		err := st.run(ctx, rep)
		r.phase(st.phase, false)
		if err != nil {
			r.logf("%s: failed after %.1fs (%s* not measured): %v", st.phase, time.Since(t).Seconds(), st.figures, err)
			rep.Failures = append(rep.Failures, Failure{Phase: st.phase, Figures: st.figures + "*", Error: err.Error()})
			failed = append(failed, st.figures)
			continue
		}
		r.logf("%s: done in %.1fs", st.phase, time.Since(t).Seconds())
	}
	rep.DurationS = round(time.Since(start).Seconds(), 1)
	rep.evaluate()
	rep.Targets = slices.DeleteFunc(rep.Targets, func(t Target) bool {
		phase, _, _ := strings.Cut(t.Figure, ".")
		return !r.runs(phase) || slices.ContainsFunc(failed, func(prefix string) bool { return strings.HasPrefix(t.Figure, prefix) })
	})
	return rep, rep.err()
}

// runs reports whether the run includes phase.
func (r *Runner) runs(phase string) bool {
	if phase == "deploy" && r.Deployer == nil {
		return false
	}
	return r.Phases == nil || slices.Contains(r.Phases, phase)
}

func (r *Runner) phase(name string, begin bool) {
	if r.Phase != nil {
		r.Phase(name, begin)
	}
}

func (r *Runner) logf(format string, args ...any) {
	if r.Progress != nil {
		fmt.Fprintf(r.Progress, "bench: "+format+"\n", args...)
	}
}
