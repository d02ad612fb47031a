package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/bench"
	"github.com/lambdahq/lambda/engine"
)

// benchPlatform is a private Lambda server for `lambda bench`, wired as
// `lambda server` wires it (openPlatform), minus the scheduler: its own data
// directory, a Docker namespace of its own so that it never touches a real
// server's containers, and the gateway on 127.0.0.1:0. It implements
// bench.Platform for the http bench function.
type benchPlatform struct {
	*platform
	dir string

	suffix          string // of every name the run creates
	httpFn, stdioFn string
	deployed        []string // functions to delete at the end
	keep            bool     // keep their images (lambda bench --keep)
	images          map[string]string
	commits         *commitRecord // of the queue's jobs (bench.Queue's Committed)
}

// benchReapInterval makes idle instances stop within milliseconds, so that
// cold samples follow each other quickly; servers check every second.
const benchReapInterval = 20 * time.Millisecond

// benchStandbyMemory lets the bench pause its http function's instance
// (cold.paused_p50_ms); the other phases set a standby timeout of 0.
const benchStandbyMemory = 1 << 30

// benchPoll is how often the bench asks Docker for the instances of a
// function while it waits for a state: between measurements, and as the
// clock of the scale phase, where it bounds the error to a poll or so.
const benchPoll = 10 * time.Millisecond

func openBenchPlatform(ctx context.Context, logOut io.Writer) (p *benchPlatform, err error) {
	var b [3]byte
	_, _ = rand.Read(b[:])
	p = &benchPlatform{suffix: hex.EncodeToString(b[:]), images: map[string]string{}, commits: newCommitRecord()}
	p.httpFn, p.stdioFn = "bench-http-"+p.suffix, "bench-stdio-"+p.suffix
	// Warnings only, as text among the bench's progress lines: the access
	// log's lines are info, so the figures carry only its level check.
	logger, err := newLogger(logOut, "text", "warn")
	if err != nil {
		return nil, err
	}

	if p.dir, err = os.MkdirTemp("", "lambda-bench-"); err != nil {
		return nil, err
	}
	p.platform, err = openPlatform(ctx, platformOptions{
		dataDir: p.dir, addr: "127.0.0.1:0", domain: "localhost", logger: logger,
		namespace: "bench-" + p.suffix, reapInterval: benchReapInterval, standbyMemory: benchStandbyMemory,
		preinit: engine.PreinitConfig{Size: engine.DefaultPreinitSize},
		dockerDown: func(err error) error {
			return fmt.Errorf("lambda bench runs functions on Docker: %w", err)
		},
		beforeEngineClose: p.removeFunctions,
		queueJobs:         p.commits.wrap,
	})
	if err != nil {
		_ = os.RemoveAll(p.dir) // openPlatform closed what it opened
		return nil, err
	}
	// A cold start on a loaded host can take longer than a server's
	// default queue timeout (10s): the bench measures it rather than fail
	// with a 429. Set before any request reads it.
	p.eng.QueueTimeout = benchQueueTimeout
	return p, nil
}

// benchQueueTimeout is the bench's cold request timeout (bench's
// coldTimeout).
const benchQueueTimeout = time.Minute

// endpoint is function name behind the gateway, routed by host name.
func (p *benchPlatform) endpoint(name string) bench.Endpoint {
	return bench.Endpoint{URL: "http://127.0.0.1:" + strconv.Itoa(p.srv.Port()) + "/", Host: name + ".localhost"}
}

// deploy builds and starts both bench functions, in parallel: the http one
// with one warm instance, the stdio one with a warm pool of one instance
// per concurrent request (Lambda's concurrency of 1 per instance).
func (p *benchPlatform) deploy(ctx context.Context, plan bench.Plan, progress func(string, ...any)) error {
	httpCode, err := bench.HTTPFunction()
	if err != nil {
		return err
	}
	stdioCode, err := bench.StdioFunction()
	if err != nil {
		return err
	}
	one, pool, concurrency := 1, plan.StdioConcurrency, plan.Concurrency
	reqs := []lambda.DeployRequest{
		{
			Name:    p.httpFn,
			Config:  lambda.Config{Runtime: lambda.RuntimeGo, Protocol: lambda.ProtocolHTTP},
			Scaling: lambda.ScalingPatch{Concurrency: &concurrency, MinInstances: &one, MaxInstances: &one},
			Code:    bytes.NewReader(httpCode),
		},
		{
			Name:    p.stdioFn,
			Config:  lambda.Config{Runtime: lambda.RuntimeGo, Protocol: lambda.ProtocolStdio},
			Scaling: lambda.ScalingPatch{Concurrency: &one, MinInstances: &pool, MaxInstances: &pool},
			Code:    bytes.NewReader(stdioCode),
		},
	}
	p.deployed = append(p.deployed, p.httpFn, p.stdioFn)
	errs := make([]error, len(reqs))
	images := make([]string, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.Now()
			progress("deploying %s (build and start)", req.Name)
			fn, err := p.eng.Deploy(ctx, req)
			if err != nil {
				errs[i] = fmt.Errorf("deploy %s: %w", req.Name, err)
				return
			}
			images[i] = fn.Active.ImageID
			progress("deployed %s in %.1fs", req.Name, time.Since(t).Seconds())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return err
		}
		p.images[reqs[i].Name] = images[i]
	}
	return nil
}

// bare returns the bare Docker baseline for the bench functions' images.
func (p *benchPlatform) bare() bench.Bare {
	return &bareDocker{p: p}
}

// WarmInstance implements bench.Platform.
func (p *benchPlatform) WarmInstance(ctx context.Context, concurrency int) (string, error) {
	one, idle := 1, lambda.Duration(lambda.DefaultIdleTimeout)
	if _, err := p.eng.UpdateScaling(ctx, p.httpFn, lambda.ScalingPatch{Concurrency: &concurrency, MinInstances: &one, MaxInstances: &one, IdleTimeout: &idle}); err != nil {
		return "", err
	}
	ins, err := p.waitInstances(ctx, 1)
	if err != nil {
		return "", err
	}
	return ins[0].Addr, nil
}

// ScaleToZero implements bench.Platform with the pool's own scale-down:
// no minimum and the shortest idle timeout, so the reaper stops every
// instance within about a second; it returns once Docker has none left.
func (p *benchPlatform) ScaleToZero(ctx context.Context) error {
	zero, idle, noStandby := 0, lambda.Duration(lambda.MinIdleTimeout), lambda.Duration(0)
	if _, err := p.eng.UpdateScaling(ctx, p.httpFn, lambda.ScalingPatch{MinInstances: &zero, IdleTimeout: &idle, StandbyTimeout: &noStandby}); err != nil {
		return err
	}
	_, err := p.waitInstances(ctx, 0)
	return err
}

// PauseInstance implements bench.Platform with the pool's own standby: no
// minimum, the shortest idle timeout and the default standby timeout, so
// the reaper pauses the idle instance within about a second; it returns
// once Docker reports it paused. With no instance (none yet, or one the
// engine stopped because it could not pause it) one is started first.
func (p *benchPlatform) PauseInstance(ctx context.Context) error {
	one, zero := 1, 0
	idle, standby := lambda.Duration(lambda.MinIdleTimeout), lambda.Duration(lambda.DefaultStandbyTimeout)
	pause := lambda.ScalingPatch{MinInstances: &zero, MaxInstances: &one, IdleTimeout: &idle, StandbyTimeout: &standby}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if _, err := p.eng.UpdateScaling(ctx, p.httpFn, pause); err != nil {
		return err
	}
	for {
		ins, err := p.eng.Instances(ctx, p.httpFn)
		if err != nil {
			return err
		}
		switch {
		case len(ins) == 1 && ins[0].State == lambda.InstancePaused && ins[0].Paused:
			return nil
		case len(ins) == 0:
			if err := p.StartInstances(ctx, 1); err != nil {
				return err
			}
			if _, err := p.eng.UpdateScaling(ctx, p.httpFn, pause); err != nil {
				return err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s's instance was not paused (instances %d): %w", p.httpFn, len(ins), ctx.Err())
		case <-time.After(benchPoll):
		}
	}
}

// StartInstances implements bench.Platform: it raises the minimum to n,
// which the pool fills by starting the missing instances in parallel.
func (p *benchPlatform) StartInstances(ctx context.Context, n int) error {
	idle := lambda.Duration(lambda.DefaultIdleTimeout)
	if _, err := p.eng.UpdateScaling(ctx, p.httpFn, lambda.ScalingPatch{MinInstances: &n, MaxInstances: &n, IdleTimeout: &idle}); err != nil {
		return err
	}
	_, err := p.waitInstances(ctx, n)
	return err
}

// waitInstances waits until the http function has exactly n containers,
// all in its pool and ready (idle or busy), and returns them.
func (p *benchPlatform) waitInstances(ctx context.Context, n int) ([]*lambda.Instance, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		ins, err := p.eng.Instances(ctx, p.httpFn)
		if err != nil {
			return nil, err
		}
		ready := !slices.ContainsFunc(ins, func(in *lambda.Instance) bool {
			return in.State != lambda.InstanceIdle && in.State != lambda.InstanceBusy
		})
		if len(ins) == n && ready {
			return ins, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s did not reach %d ready instances (has %d): %w", p.httpFn, n, len(ins), ctx.Err())
		case <-time.After(benchPoll):
		}
	}
}

// removeFunctions removes what the run created, once the gateway and the
// queue have stopped and while the engine still runs (the platform's
// close calls it between them): the functions with their containers and
// images (only the containers with keep), and any function's container
// left in the run's namespace; the engine's close stops its generic ones.
func (p *benchPlatform) removeFunctions(ctx context.Context) error {
	var errs []error
	if !p.keep {
		for _, name := range p.deployed {
			if err := p.eng.Delete(ctx, name); err != nil && lambda.ErrorCode(err) != lambda.ENOTFOUND {
				errs = append(errs, fmt.Errorf("delete %s: %w", name, err))
			}
		}
	}
	left, err := p.driver.ListInstances(ctx)
	errs = append(errs, err)
	for _, in := range left {
		// Generic instances (no function) are the engine's to stop as it
		// closes: stopped here, each was a death the engine answered with
		// a refill, whose creates the close then cancelled.
		if in.Function != "" {
			errs = append(errs, p.driver.StopInstance(ctx, in.ID, 0))
		}
	}
	return errors.Join(errs...)
}

// close closes the platform, which removes the run's functions on its way
// (removeFunctions), and the data directory. The network and the shared
// shim images stay: servers use them too.
func (p *benchPlatform) close(keep bool, progress func(string, ...any)) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var errs []error
	p.keep = keep
	if p.platform != nil {
		errs = append(errs, p.platform.close(ctx))
	}
	if keep {
		for name := range p.images {
			progress("kept the image of %s: %s", name, engine.ImageName(name))
		}
	}
	if p.dir != "" {
		errs = append(errs, os.RemoveAll(p.dir))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bench clean-up: %w", err)
	}
	return nil
}
