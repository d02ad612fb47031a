package bench

import (
	"context"
	"time"
)

// scale times the platform starting ScaleInstances instances of the http
// function in parallel, from none.
func (r *Runner) scale(ctx context.Context, rep *Report) error {
	p := r.Plan
	s := &rep.Scale
	s.Instances, s.Rounds = p.ScaleInstances, p.ScaleRounds
	times := NewRecorder(p.ScaleRounds)
	r.logf("scale: %d rounds of %d instances started in parallel", p.ScaleRounds, p.ScaleInstances)
	for range p.ScaleRounds {
		if err := r.Platform.ScaleToZero(ctx); err != nil {
			return err
		}
		t0 := time.Now()
		if err := r.Platform.StartInstances(ctx, p.ScaleInstances); err != nil {
			return err
		}
		times.Record(time.Since(t0))
	}
	if err := r.Platform.ScaleToZero(ctx); err != nil {
		return err
	}
	median := times.Percentile(50)
	s.SecondsP50 = round(median.Seconds(), 3)
	if median > 0 {
		s.ContainersPerS = round(float64(p.ScaleInstances)/median.Seconds(), 2)
	}
	return nil
}
