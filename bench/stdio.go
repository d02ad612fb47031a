package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
)

// stdio compares a container per call, the classic model, with the warm
// pool of the stdio function behind the gateway, at the same concurrency.
func (r *Runner) stdio(ctx context.Context, rep *Report) error {
	p := r.Plan
	s := &rep.Stdio
	s.Concurrency, s.Rounds = p.StdioConcurrency, p.StdioRounds
	tr := NewTransport(2 * p.StdioConcurrency)
	defer tr.CloseIdleConnections()
	pool := r.Stdio
	pool.Body = StdioInput

	perCallOp := func(int) (Op, error) {
		return func(ctx context.Context) error {
			out, err := r.Bare.RunOnce(ctx, StdioInput)
			if err != nil {
				return err
			}
			return checkStdio(http.StatusOK, out)
		}, nil
	}
	r.logf("stdio: warming up")
	if _, err := (Loop{Concurrency: 1, Requests: 1}).Run(ctx, perCallOp); err != nil {
		return fmt.Errorf("per-call container: %w", err)
	}
	warmup := Load{Loop: Loop{Concurrency: p.StdioConcurrency, Requests: 20 * p.StdioConcurrency}, Transport: tr, Check: checkStdio}
	if _, err := warmup.Run(ctx, pool); err != nil {
		return fmt.Errorf("warm pool: %w", err)
	}

	var perCallTotal, poolTotal rate
	perCallLat, poolLat := NewRecorder(0), NewRecorder(0)
	loop := Loop{Concurrency: p.StdioConcurrency, Duration: p.StdioDuration}
	perCall := func(ctx context.Context, round int) error {
		res, err := loop.Run(ctx, perCallOp)
		perCallTotal.add(res)
		perCallLat.Merge(res.Latency)
		s.Errors += res.Failed
		if err != nil {
			return fmt.Errorf("per-call container: %w", err)
		}
		return nil
	}
	warm := func(ctx context.Context, round int) error {
		res, err := Load{Loop: loop, Transport: tr, Check: checkStdio}.Run(ctx, pool)
		poolTotal.add(res)
		poolLat.Merge(res.Latency)
		s.Errors += res.Failed
		if err != nil {
			return fmt.Errorf("warm pool: %w", err)
		}
		return nil
	}
	r.logf("stdio: %d rounds of %s per variant at concurrency %d", p.StdioRounds, p.StdioDuration, p.StdioConcurrency)
	if err := Interleave(ctx, p.StdioRounds, perCall, warm); err != nil {
		return err
	}
	s.PerCallRPS, s.PoolRPS = round(perCallTotal.rps(), 2), round(poolTotal.rps(), 1)
	s.Ratio = ratio(poolTotal.rps(), perCallTotal.rps())
	s.PerCallCalls, s.PoolCalls = perCallTotal.ok, poolTotal.ok
	s.PerCallP50Ms, s.PoolP50Ms = Millis(perCallLat.Percentile(50)), Millis(poolLat.Percentile(50))
	return nil
}

// checkStdio accepts exactly the stdio function's answer to StdioInput.
func checkStdio(status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("status %d: %.200s", status, body)
	}
	if !bytes.Equal(bytes.TrimSpace(body), bytes.TrimSpace(StdioOutput)) {
		return fmt.Errorf("unexpected output %.200q, want %q", body, StdioOutput)
	}
	return nil
}
