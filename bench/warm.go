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
	var directCPU, gatewayCPU cpuRate
	throughput := func(e Endpoint, total *rate, cpu *cpuRate) Variant {
		return func(ctx context.Context, round int) error {
			load := Load{Loop: Loop{Concurrency: p.Concurrency, Duration: p.RPSDuration}, Transport: tr}
			before := processCPU()
			res, err := load.Run(ctx, e)
			if err == nil {
				err = settle(ctx, p.CPUSettle)
			}
			cpu.add(processCPU()-before, res)
			total.add(res)
			w.Errors += res.Failed
			return err
		}
	}
	r.logf("warm: requests/s at concurrency %d, %d rounds of %s per variant", p.Concurrency, p.RPSRounds, p.RPSDuration)
	if err := Interleave(ctx, p.RPSRounds, throughput(direct, &directTotal, &directCPU), throughput(gateway, &gatewayTotal, &gatewayCPU)); err != nil {
		return err
	}
	w.DirectRPS, w.GatewayRPS = round(directTotal.rps(), 1), round(gatewayTotal.rps(), 1)
	w.RPSRatio = ratio(gatewayTotal.rps(), directTotal.rps())
	w.RPSSeconds = round(min(directTotal.elapsed, gatewayTotal.elapsed).Seconds(), 1)
	w.DirectCPUUsPerReq, w.GatewayCPUUsPerReq = directCPU.perReqUs(), gatewayCPUUs(gatewayCPU, directCPU)
	return nil
}

// settle waits d after a round, so that the work the round left to
// background goroutines (batched writes, log lines) is done before the
// round's CPU time is read and counts with it.
func settle(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// cpuRate sums this process's CPU time and the requests answered (failed
// ones too: they cost CPU) over several rounds of one variant.
type cpuRate struct {
	cpu  time.Duration
	reqs int
}

func (c *cpuRate) add(cpu time.Duration, res Result) {
	c.cpu += cpu
	c.reqs += res.OK + res.Failed
}

// perReqUs is the CPU time per request in microseconds, 0 without any.
func (c cpuRate) perReqUs() float64 { return perOp(c.cpu, c.reqs) }

// gatewayCPUUs is the gateway's own CPU time per request: the process's
// CPU per request in the gateway rounds less that of the direct rounds.
// The load generator runs in this process and sends the same requests to
// the same container in both, so its share is the direct rounds' figure;
// what remains is the gateway, proxy and observers. 0 when either
// variant answered nothing.
func gatewayCPUUs(gateway, direct cpuRate) float64 {
	if gateway.reqs == 0 || direct.reqs == 0 {
		return 0
	}
	us := func(c cpuRate) float64 { return float64(c.cpu) / float64(time.Microsecond) / float64(c.reqs) }
	return round(us(gateway)-us(direct), 1)
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
