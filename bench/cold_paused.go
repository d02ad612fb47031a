package bench

import (
	"context"
	"fmt"
	"net/http"
)

// coldPaused measures a request to the http function whose only instance
// is paused (issue 14's paused standby): the platform resumes it rather
// than start one. Each sample pauses the instance first; a sample the
// gateway reports as a cold start (the instance was not there to resume)
// is discarded.
func (r *Runner) coldPaused(ctx context.Context, rep *Report) error {
	p := r.Plan
	tr := NewTransport(2)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: coldTimeout}
	c := &rep.Cold
	lat := NewRecorder(p.ColdSamples)
	r.logf("cold: %d requests to a paused instance", p.ColdSamples)
	// One unmeasured sample first, as for the cold starts.
	for round := -1; round < p.ColdSamples; round++ {
		if err := r.Platform.PauseInstance(ctx); err != nil {
			return err
		}
		d, cold, err := r.coldRequest(ctx, client)
		if err != nil {
			return err
		}
		if cold {
			c.PausedDiscarded++
			r.logf("cold: paused round %d: the gateway started an instance instead of resuming one; sample discarded", round+1)
			continue
		}
		if round >= 0 {
			lat.Record(d)
		}
	}
	if lat.Count() == 0 {
		return fmt.Errorf("no request to a paused instance resumed it (%d cold starts)", c.PausedDiscarded)
	}
	c.PausedSamples = lat.Count()
	c.PausedP50Ms, c.PausedP99Ms = Millis(lat.Percentile(50)), Millis(lat.Percentile(99))
	return nil
}
