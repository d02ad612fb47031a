package bench

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestGatewayCPUUs(t *testing.T) {
	for _, tc := range []struct {
		name            string
		gateway, direct cpuRate
		want            float64
	}{
		{"the generator's share subtracted", cpuRate{cpu: 90 * time.Millisecond, reqs: 1000}, cpuRate{cpu: 60 * time.Millisecond, reqs: 2000}, 60},
		{"per request, not per round", cpuRate{cpu: time.Second, reqs: 10000}, cpuRate{cpu: time.Second, reqs: 20000}, 50},
		{"rounded to 0.1 µs", cpuRate{cpu: 100 * time.Millisecond, reqs: 3000}, cpuRate{cpu: 0, reqs: 1}, 33.3},
		{"noise may make it negative: kept, not hidden", cpuRate{cpu: 10 * time.Millisecond, reqs: 1000}, cpuRate{cpu: 12 * time.Millisecond, reqs: 1000}, -2},
		{"no gateway request", cpuRate{cpu: time.Second}, cpuRate{cpu: time.Second, reqs: 10}, 0},
		{"no direct request", cpuRate{cpu: time.Second, reqs: 10}, cpuRate{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := gatewayCPUUs(tc.gateway, tc.direct); got != tc.want {
				t.Errorf("gatewayCPUUs(%+v, %+v) = %v, want %v", tc.gateway, tc.direct, got, tc.want)
			}
		})
	}
}

func TestCPURateCountsFailedRequests(t *testing.T) {
	var c cpuRate
	c.add(3*time.Millisecond, Result{OK: 90, Failed: 10})
	c.add(2*time.Millisecond, Result{OK: 100})
	if c.cpu != 5*time.Millisecond || c.reqs != 200 || c.perReqUs() != 25 {
		t.Errorf("cpuRate = %+v, %v µs per request; want 5ms over 200 requests, 25 µs", c, c.perReqUs())
	}
	if (cpuRate{cpu: time.Second}).perReqUs() != 0 {
		t.Error("CPU without requests is not 0 per request")
	}
}

func TestSettle(t *testing.T) {
	start := time.Now()
	if err := settle(context.Background(), 20*time.Millisecond); err != nil || time.Since(start) < 20*time.Millisecond {
		t.Errorf("settle returned %v after %v, want nil after 20ms", err, time.Since(start))
	}
	if err := settle(context.Background(), 0); err != nil {
		t.Errorf("settle(0) = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := settle(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("settle on a canceled context = %v, want context.Canceled", err)
	}
}
