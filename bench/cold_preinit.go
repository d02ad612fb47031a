package bench

import (
	"context"
	"fmt"
	"net/http"
)

// Preiniter readies a handler function for a cold start from a
// pre-initialized instance of its runtime (issue 14 §2).
type Preiniter interface {
	// PreinitReady leaves the Deployer's function name (as Deploy was
	// given it) with no instance
	// and a generic instance of its runtime ready to take its code, and
	// returns once both hold: the next request is such a cold start.
	PreinitReady(ctx context.Context, name string) error
}

// preinitRuntimes are the runtimes coldPreinit measures.
var preinitRuntimes = []string{"python", "node"}

// coldPreinit measures, per handler runtime, a request to a function with
// no instance while a generic instance of its runtime is ready: the
// platform gives it the function's code rather than start a container.
// One unmeasured sample first (it also has the function's code read out
// of its image); a sample the gateway does not report as a cold start is
// discarded.
func (r *Runner) coldPreinit(ctx context.Context, rep *Report) error {
	if r.Deployer == nil || r.Preinit == nil {
		return nil
	}
	p := r.Plan
	tr := NewTransport(2)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: coldTimeout}
	c := &rep.Cold
	for _, runtime := range preinitRuntimes {
		name := "preinit-" + runtime
		code, err := deployFunction(runtime, "preinit")
		if err != nil {
			return err
		}
		dctx, cancel := context.WithTimeout(ctx, deployWait)
		err = r.Deployer.Deploy(dctx, name, runtime, code)
		cancel()
		if err != nil {
			return fmt.Errorf("deploy %s: %w", name, err)
		}
		lat := NewRecorder(p.ColdSamples)
		discarded := 0
		r.logf("cold: %d %s cold starts from a pre-initialized instance", p.ColdSamples, runtime)
		for round := -1; round < p.ColdSamples; round++ {
			if err := r.Preinit.PreinitReady(ctx, name); err != nil {
				return err
			}
			d, cold, err := r.coldRequestTo(ctx, client, r.Deployer.Endpoint(name))
			if err != nil {
				return err
			}
			if !cold {
				discarded++
				continue
			}
			if round >= 0 {
				lat.Record(d)
			}
		}
		_ = r.Deployer.Delete(context.WithoutCancel(ctx), name)
		if lat.Count() == 0 {
			return fmt.Errorf("no %s request was a cold start (%d discarded)", runtime, discarded)
		}
		f := PreinitFigures{P50Ms: Millis(lat.Percentile(50)), P99Ms: Millis(lat.Percentile(99)), Samples: lat.Count(), Discarded: discarded}
		f.Ratio = ratio(f.P50Ms, c.BareP50Ms)
		switch runtime {
		case "python":
			c.PreinitPython = f
		case "node":
			c.PreinitNode = f
		}
	}
	return nil
}

// PreinitFigures are one runtime's cold starts from pre-initialized
// instances; Ratio is P50Ms over the bare Docker cold start of the http
// bench function (a static Go server: a stricter baseline than a bare
// start of the runtime's own image, whose interpreter starts too).
type PreinitFigures struct {
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	Ratio     float64 `json:"ratio"`
	Samples   int     `json:"samples"`
	Discarded int     `json:"discarded"`
}
