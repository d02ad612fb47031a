package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/bench"
)

type benchOptions struct {
	quick, json, keep bool
	cpuProfile        string // of one phase (profilePhase), for tuning
	profilePhase      string
	phases            []string // run only these (comparing builds); nil: all
}

func newBenchCommand(s *streams) *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the platform against bare Docker on this machine",
		Long: `Bench starts a private, in-process Lambda server on 127.0.0.1 with its own
temporary data directory, deploys two tiny Go functions through the real build
pipeline (no registry needed), and measures side by side, in interleaved rounds:

  warm   the same container hit directly and through the gateway
         (p50/p99 latency at concurrency 1, requests/s at concurrency 32)
  async  events submitted through the API (202s per second from 32 clients),
         the time from a job's commit to the function receiving it, and
         jobs completed per second against synchronous requests per second
  cold   a request to a function without a warm instance, through the gateway,
         against a bare Docker create+start+first 200 of the same image
  stdio  a container per call (create, attach, start, wait, remove) against the
         warm pool of a stdio function
  scale  instances started in parallel (containers per second)
  deploy a first deploy of a Go function and code-only redeploys of a Go, a
         Python and a Node function, until the gateway serves the new code

Progress goes to stderr, the results to stdout. Everything it creates is
removed at the end, even on Ctrl-C; --keep leaves the function images.
docs/performance.md explains the figures.`,
		Example: `  lambda bench --quick
  lambda bench --json > bench.json`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd.Context(), s, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.quick, "quick", false, "a short run (under 90 s on 2 cores) instead of the longer, steadier one")
	f.BoolVar(&o.json, "json", false, "print the results as one JSON document")
	f.BoolVar(&o.keep, "keep", false, "keep the images of the bench functions")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of one phase (--profile-phase; server and load) to this file")
	f.StringVar(&o.profilePhase, "profile-phase", "warm", "the phase --cpuprofile profiles: warm, async, cold, stdio, scale or deploy")
	f.StringSliceVar(&o.phases, "phases", nil, "run only these phases (warm, async, cold, stdio, scale, deploy), e.g. to compare two builds' warm figures")
	_ = f.MarkHidden("phases")
	_ = f.MarkHidden("cpuprofile")
	_ = f.MarkHidden("profile-phase")
	return cmd
}

func runBench(ctx context.Context, s *streams, o *benchOptions) (err error) {
	start := time.Now()
	if o.cpuProfile != "" && !slices.Contains(benchPhases, o.profilePhase) {
		return lambda.Errorf(lambda.EINVALID, "--profile-phase %q is not a phase of the bench: use one of %s", o.profilePhase, strings.Join(benchPhases, ", "))
	}
	for _, ph := range o.phases {
		if !slices.Contains(benchPhases, ph) {
			return lambda.Errorf(lambda.EINVALID, "--phases %q is not a phase of the bench: use some of %s", ph, strings.Join(benchPhases, ", "))
		}
	}
	plan := bench.FullPlan()
	if o.quick {
		plan = bench.QuickPlan()
	}
	progress := func(format string, args ...any) { fmt.Fprintf(s.Err, "bench: "+format+"\n", args...) }
	progress("%s run; the platform under test runs in this process", plan.Mode)

	p, err := openBenchPlatform(ctx, s.Err)
	if err != nil {
		return err
	}
	defer func() {
		if ctx.Err() != nil {
			progress("interrupted; cleaning up")
		} else {
			progress("cleaning up")
		}
		if cerr := p.close(o.keep, progress); err == nil {
			err = cerr
		}
	}()
	progress("run %s: functions %s and %s on Docker namespace %s", p.suffix, p.httpFn, p.stdioFn, p.driver.Namespace)
	if err := p.deploy(ctx, plan, progress); err != nil {
		return benchError(ctx, err)
	}
	machine := bench.DetectMachine()
	machine.DockerVersion, _ = p.driver.ServerVersion(ctx)
	submit, invoke, err := p.apiEndpoints(p.httpFn)
	if err != nil {
		return benchError(ctx, err)
	}
	r := &bench.Runner{
		Plan:     plan,
		Platform: p,
		Bare:     p.bare(),
		HTTP:     p.endpoint(p.httpFn),
		Stdio:    p.endpoint(p.stdioFn),
		Async:    submit,
		Invoke:   invoke,
		Queue:    p,
		Deployer: benchDeployer{p},
		Preinit:  benchDeployer{p},
		Machine:  machine,
		Progress: s.Err,
		Phases:   o.phases,
	}
	if o.cpuProfile != "" {
		r.Phase = profilePhase(o.profilePhase, o.cpuProfile, progress)
	}
	// A failed measurement still prints what the others measured, and
	// the run still fails.
	rep, runErr := r.Run(ctx)
	rep.DurationS = float64(time.Since(start).Round(100*time.Millisecond).Milliseconds()) / 1000
	if err := writeBenchReport(s, rep, o.json); err != nil {
		return err
	}
	if runErr != nil {
		return benchError(ctx, runErr)
	}
	return nil
}

func writeBenchReport(s *streams, rep *bench.Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // the targets' ">=" stay readable
		return enc.Encode(rep)
	}
	return bench.WriteTable(s.Out, rep)
}

// benchPhases are the phases bench.Runner reports to its Phase hook.
var benchPhases = []string{"warm", "async", "cold", "stdio", "scale", "deploy"}

// profilePhase returns a bench.Runner.Phase hook that writes a CPU
// profile of phase to path.
func profilePhase(phase, path string, progress func(string, ...any)) func(string, bool) {
	var f *os.File
	return func(name string, begin bool) {
		switch {
		case name != phase:
		case begin:
			var err error
			if f, err = os.Create(path); err == nil {
				err = pprof.StartCPUProfile(f)
			}
			if err != nil {
				progress("cannot profile: %v", err)
			}
		case f != nil:
			pprof.StopCPUProfile()
			f.Close()
			progress("wrote the CPU profile of the %s phase to %s", phase, path)
		}
	}
}

// benchError says that an interrupted run was interrupted, rather than
// which operation the interruption happened to cancel.
func benchError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return errors.New("bench interrupted")
	}
	return fmt.Errorf("bench: %w", err)
}
