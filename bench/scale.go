package bench

import (
	"context"
	"time"
)

// scale times the platform starting ScaleInstances instances of the http
// function in parallel, from none, in rounds alternated with bare Docker
// starting as many containers of the same image at once: the platform
// must not serialize what Docker can do in parallel. Each round starts
// from no container of the function, and each side goes first in every
// other round.
func (r *Runner) scale(ctx context.Context, rep *Report) error {
	p := r.Plan
	s := &rep.Scale
	s.Instances, s.Rounds = p.ScaleInstances, p.ScaleRounds
	platform, bare := NewRecorder(p.ScaleRounds), NewRecorder(p.ScaleRounds)
	r.logf("scale: %d rounds of %d instances started in parallel, platform and bare Docker", p.ScaleRounds, p.ScaleInstances)
	timePlatform := func() error {
		if err := r.Platform.ScaleToZero(ctx); err != nil {
			return err
		}
		t0 := time.Now()
		if err := r.Platform.StartInstances(ctx, p.ScaleInstances); err != nil {
			return err
		}
		platform.Record(time.Since(t0))
		return r.Platform.ScaleToZero(ctx)
	}
	timeBare := func() error {
		took, err := r.Bare.StartMany(ctx, p.ScaleInstances)
		if err != nil {
			return err
		}
		bare.Record(took)
		return nil
	}
	for i := range p.ScaleRounds {
		order := []func() error{timePlatform, timeBare}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, run := range order {
			if err := run(); err != nil {
				return err
			}
		}
	}
	s.SecondsP50, s.ContainersPerS = perSecond(p.ScaleInstances, platform.Percentile(50))
	s.BareSecondsP50, s.BareContainersPerS = perSecond(p.ScaleInstances, bare.Percentile(50))
	s.Ratio = ratio(s.ContainersPerS, s.BareContainersPerS)
	return nil
}

// perSecond is a median time to start n containers, in seconds, and the
// containers it started per second.
func perSecond(n int, median time.Duration) (seconds, rate float64) {
	if median <= 0 {
		return 0, 0
	}
	return round(median.Seconds(), 3), round(float64(n)/median.Seconds(), 2)
}
