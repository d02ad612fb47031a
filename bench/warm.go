package bench

import (
	"context"
	"time"
)

// warm compares the same warm container hit directly and through the
// gateway: latency at concurrency 1, then throughput at Concurrency.
func (r *Runner) warm(ctx context.Context, rep *Report) error {
	p := r.Plan
	addr, err := r.Platform.WarmInstance(ctx, p.Concurrency)
	if err != nil {
		return err
	}
	direct := Endpoint{URL: "http://" + addr + "/"}
	gateway := r.HTTP
	tr := NewTransport(2 * p.Concurrency)
	defer tr.CloseIdleConnections()
	w := &rep.Warm
	w.Concurrency, w.Rounds = p.Concurrency, p.LatencyRounds

	r.logf("warm: warming up %s (direct) and %s (gateway)", addr, gateway.URL)
	for _, e := range []Endpoint{direct, gateway} {
		load := Load{Loop: Loop{Concurrency: p.Concurrency, Requests: p.WarmupRequests}, Transport: tr}
		if _, err := load.Run(ctx, e); err != nil {
			return err
		}
	}

	directLat, gatewayLat := NewRecorder(p.LatencyRounds*p.LatencyRequests), NewRecorder(p.LatencyRounds*p.LatencyRequests)
	latency := func(e Endpoint, rec *Recorder) Variant {
		return func(ctx context.Context, round int) error {
			load := Load{Loop: Loop{Concurrency: 1, Requests: p.LatencyRequests}, Transport: tr}
			res, err := load.Run(ctx, e)
			rec.Merge(res.Latency)
			w.Errors += res.Failed
			return err
		}
	}
	r.logf("warm: latency at concurrency 1, %d rounds of %d requests per variant", p.LatencyRounds, p.LatencyRequests)
	if err := Interleave(ctx, p.LatencyRounds, latency(direct, directLat), latency(gateway, gatewayLat)); err != nil {
		return err
	}
	w.LatencySamples = min(directLat.Count(), gatewayLat.Count())
	w.DirectP50Ms, w.DirectP99Ms = Millis(directLat.Percentile(50)), Millis(directLat.Percentile(99))
	w.GatewayP50Ms, w.GatewayP99Ms = Millis(gatewayLat.Percentile(50)), Millis(gatewayLat.Percentile(99))
	w.AddedP50Ms = Millis(gatewayLat.Percentile(50) - directLat.Percentile(50))
	w.AddedP99Ms = Millis(gatewayLat.Percentile(99) - directLat.Percentile(99))

	var directTotal, gatewayTotal rate
	throughput := func(e Endpoint, total *rate) Variant {
		return func(ctx context.Context, round int) error {
			load := Load{Loop: Loop{Concurrency: p.Concurrency, Duration: p.RPSDuration}, Transport: tr}
			res, err := load.Run(ctx, e)
			total.add(res)
			w.Errors += res.Failed
			return err
		}
	}
	r.logf("warm: requests/s at concurrency %d, %d rounds of %s per variant", p.Concurrency, p.RPSRounds, p.RPSDuration)
	if err := Interleave(ctx, p.RPSRounds, throughput(direct, &directTotal), throughput(gateway, &gatewayTotal)); err != nil {
		return err
	}
	w.DirectRPS, w.GatewayRPS = round(directTotal.rps(), 1), round(gatewayTotal.rps(), 1)
	w.RPSRatio = ratio(gatewayTotal.rps(), directTotal.rps())
	w.RPSSeconds = round(min(directTotal.elapsed, gatewayTotal.elapsed).Seconds(), 1)
	return nil
}

// rate sums the successful operations and time of several rounds.
type rate struct {
	ok      int
	elapsed time.Duration
}

func (t *rate) add(res Result) {
	t.ok += res.OK
	t.elapsed += res.Elapsed
}

func (t *rate) rps() float64 {
	if t.elapsed <= 0 {
		return 0
	}
	return float64(t.ok) / t.elapsed.Seconds()
}
