package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// HeaderColdStart is how the gateway says a request started an instance.
const HeaderColdStart = "X-Lambda-Cold-Start"

// coldTimeout bounds one cold request: a start on a loaded machine can
// take seconds, never this long.
const coldTimeout = time.Minute

// cold compares a request to the http function with no warm instance,
// through the gateway, with a bare create+start+first 200 of its image.
// Gateway samples the platform did not serve cold are discarded.
func (r *Runner) cold(ctx context.Context, rep *Report) error {
	p := r.Plan
	tr := NewTransport(2)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: coldTimeout}
	c := &rep.Cold
	gatewayLat, bareLat := NewRecorder(p.ColdSamples), NewRecorder(p.ColdSamples)

	gateway := func(ctx context.Context, round int) error {
		if err := r.Platform.ScaleToZero(ctx); err != nil {
			return err
		}
		d, cold, err := r.coldRequest(ctx, client)
		if err != nil {
			return err
		}
		if !cold {
			c.Discarded++
			r.logf("cold: round %d: the gateway did not report a cold start; sample discarded", round+1)
			return nil
		}
		if round >= 0 {
			gatewayLat.Record(d)
		}
		return nil
	}
	bare := func(ctx context.Context, round int) error {
		// The platform's instance of the previous sample must be gone:
		// its teardown would slow this start down.
		if err := r.Platform.ScaleToZero(ctx); err != nil {
			return err
		}
		d, err := r.Bare.ColdStart(ctx)
		if err != nil {
			return err
		}
		if round >= 0 {
			bareLat.Record(d)
		}
		return nil
	}
	// One unmeasured pair first: the first start after a quiet spell pays
	// for cold caches in the kernel and the daemon.
	r.logf("cold: warming up")
	if err := gateway(ctx, -1); err != nil {
		return err
	}
	if err := bare(ctx, -1); err != nil {
		return err
	}
	c.Discarded = 0
	r.logf("cold: %d rounds of one gateway and one bare cold start", p.ColdSamples)
	if err := Interleave(ctx, p.ColdSamples, gateway, bare); err != nil {
		return err
	}
	if gatewayLat.Count() == 0 {
		return fmt.Errorf("no request through the gateway was a cold start (%d discarded)", c.Discarded)
	}
	c.GatewaySamples, c.BareSamples = gatewayLat.Count(), bareLat.Count()
	c.GatewayP50Ms, c.GatewayP99Ms = Millis(gatewayLat.Percentile(50)), Millis(gatewayLat.Percentile(99))
	c.BareP50Ms, c.BareP99Ms = Millis(bareLat.Percentile(50)), Millis(bareLat.Percentile(99))
	c.Ratio = ratio(float64(gatewayLat.Percentile(50)), float64(bareLat.Percentile(50)))
	return nil
}

// coldRequest sends one request to the http function through the gateway
// and reports its duration and whether the gateway says it was cold.
func (r *Runner) coldRequest(ctx context.Context, client *http.Client) (time.Duration, bool, error) {
	return r.coldRequestTo(ctx, client, r.HTTP)
}

// coldRequestTo is coldRequest to the function behind ep.
func (r *Runner) coldRequestTo(ctx context.Context, client *http.Client, ep Endpoint) (time.Duration, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.URL, nil)
	if err != nil {
		return 0, false, err
	}
	req.Host = ep.Host
	for k, v := range ep.Header {
		req.Header[k] = v
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, false, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil {
		return 0, false, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, false, fmt.Errorf("cold request through the gateway answered %s", resp.Status)
	}
	return d, resp.Header.Get(HeaderColdStart) == "true", nil
}
