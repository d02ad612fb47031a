package engine_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// newClockEnv is an env whose engine runs on a fake clock.
func newClockEnv(t *testing.T) (*env, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	e := newEnvWithSetup(t, drivertest.NewFake(), filepath.Join(t.TempDir(), "lambda.db"), func(e *env) {
		e.eng.Clock = clock
	})
	// The reaper's timer is armed before any test counts waiters.
	clock.BlockUntil(t, 1)
	return e, clock
}

func (e *env) scale(t *testing.T, name string, p lambda.ScalingPatch) {
	t.Helper()
	if _, err := e.eng.UpdateScaling(context.Background(), name, p); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// recvErr receives from ch, failing the test after 5 s.
func recvErr(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("no result within 5s")
		return nil
	}
}

// held is the running instances of name that a pool holds: not those on
// their way out.
func (e *env) held(t *testing.T, name string) []*lambda.Instance {
	t.Helper()
	var out []*lambda.Instance
	for _, in := range e.running(t, name) {
		if in.State != lambda.InstanceDraining {
			out = append(out, in)
		}
	}
	return out
}

// TestSlotAccounting hammers a pool from many goroutines: no instance ever
// serves more requests than its concurrency, and the pool never exceeds
// its maximum.
func TestSlotAccounting(t *testing.T) {
	e := newEnv(t)
	var inflight, peak atomic.Int64
	perInstance := sync.Map{}
	e.driver.SetHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Host // each instance listens on its own port
		v, _ := perInstance.LoadOrStore(id, new(atomic.Int64))
		n := v.(*atomic.Int64).Add(1)
		defer v.(*atomic.Int64).Add(-1)
		if n > 2 {
			t.Errorf("instance %s serves %d requests at once, concurrency is 2", id, n)
		}
		if cur := inflight.Add(1); cur > peak.Load() {
			peak.Store(cur)
		}
		defer inflight.Add(-1)
		time.Sleep(2 * time.Millisecond)
	}))
	e.mustDeploy(t, "greet", lambda.Config{})
	e.scale(t, "greet", lambda.ScalingPatch{Concurrency: ptr(2), MaxInstances: ptr(3)})

	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				lease, err := e.eng.Acquire(context.Background(), "greet")
				if err != nil {
					t.Error(err)
					return
				}
				resp, err := http.Get("http://" + lease.Addr + "/")
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				lease.Release(err != nil)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 6 {
		t.Errorf("%d requests in flight at once, max instances 3 × concurrency 2 = 6", p)
	}
	if n := len(e.running(t, "greet")); n > 3 {
		t.Errorf("%d instances, max 3", n)
	}
}

// TestQueueThenThrottle fills every slot: further requests queue, past the
// queue size they are throttled at once, and queued ones are throttled
// when the wait runs out — never a platform error.
func TestQueueThenThrottle(t *testing.T) {
	e, clock := newClockEnv(t)
	e.eng.QueueSize = 2
	e.mustDeploy(t, "greet", lambda.Config{})
	e.scale(t, "greet", lambda.ScalingPatch{Concurrency: ptr(1), MaxInstances: ptr(1)})

	held, err := e.eng.Acquire(context.Background(), "greet")
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan error, 2)
	for range 2 {
		go func() {
			lease, err := e.eng.Acquire(context.Background(), "greet")
			if err == nil {
				lease.Release(false)
			}
			results <- err
		}()
	}
	eventually(t, "both requests queued", func() bool { return e.eng.Queued("greet") == 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := e.eng.Acquire(ctx, "greet"); lambda.ErrorCode(err) != lambda.ETHROTTLED {
		t.Fatalf("request beyond a full queue: %v, want throttled at once", err)
	}
	// A slot freed goes to the first in the queue.
	held.Release(false)
	for range 2 {
		if err := recvErr(t, results); err != nil {
			t.Fatalf("queued request: %v", err)
		}
	}

	held, _ = e.eng.Acquire(context.Background(), "greet")
	// The queue wait counts from when the request arms it: advance only
	// once it has (earlier waits that were served stay armed, hence n+1).
	armed := clock.Waiters()
	go func() {
		_, err := e.eng.Acquire(context.Background(), "greet")
		results <- err
	}()
	eventually(t, "the request queued", func() bool { return e.eng.Queued("greet") == 1 })
	clock.BlockUntil(t, armed+1)
	clock.Advance(e.eng.QueueTimeout)
	if err := recvErr(t, results); lambda.ErrorCode(err) != lambda.ETHROTTLED {
		t.Errorf("request past the queue timeout: %v, want throttled", err)
	}
	held.Release(false)
}

func TestReservedConcurrency(t *testing.T) {
	e := newEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.scale(t, "greet", lambda.ScalingPatch{Reserved: ptr(0)})
	if _, err := e.eng.Acquire(context.Background(), "greet"); lambda.ErrorCode(err) != lambda.ETHROTTLED {
		t.Fatalf("reserved 0: %v, want throttled", err)
	}
	e.scale(t, "greet", lambda.ScalingPatch{Reserved: ptr(2)})
	a, err1 := e.eng.Acquire(context.Background(), "greet")
	b, err2 := e.eng.Acquire(context.Background(), "greet")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if _, err := e.eng.Acquire(context.Background(), "greet"); lambda.ErrorCode(err) != lambda.ETHROTTLED {
		t.Errorf("third request with reserved 2: %v, want throttled", err)
	}
	a.Release(false)
	c, err := e.eng.Acquire(context.Background(), "greet")
	if err != nil {
		t.Errorf("after a release: %v", err)
	} else {
		c.Release(false)
	}
	b.Release(false)
	e.scale(t, "greet", lambda.ScalingPatch{Reserved: ptr(-1)})
	if _, status := e.call(t, "greet"); status != 200 {
		t.Error("cap removed, still throttled")
	}
}

// TestIdleScaleDown: instances idle past the idle timeout stop, down to the
// minimum, and to zero by default; the next request is a cold start.
func TestIdleScaleDown(t *testing.T) {
	e, clock := newClockEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	e.scale(t, "greet", lambda.ScalingPatch{MinInstances: ptr(2), IdleTimeout: ptr(lambda.Duration(time.Minute))})
	// The reaper re-arms its timer after each pass, so keep time moving.
	// Both in the pool, not only running: a container the fake runs may
	// still be starting, and a pass that counts it toward the minimum
	// may then reap the idle one (seen under -race on a loaded machine).
	eventually(t, "scaled up to the minimum", func() bool {
		clock.Advance(e.eng.ReapInterval)
		return len(e.running(t, "greet")) == 2 && len(e.held(t, "greet")) == 2
	})

	// A pass run to completion, checked on what the pools hold (a reaped
	// instance leaves its pool at once; its container stops later).
	clock.Advance(2 * time.Minute)
	e.eng.ReapNow()
	if n := len(e.held(t, "greet")); n != 2 {
		t.Errorf("%d instances after idling, want the minimum 2", n)
	}

	e.scale(t, "greet", lambda.ScalingPatch{MinInstances: ptr(0)})
	eventually(t, "scaled to zero", func() bool {
		clock.Advance(e.eng.ReapInterval)
		return len(e.running(t, "greet")) == 0
	})
	lease, status := e.call(t, "greet")
	if status != 200 || !lease.Cold {
		t.Errorf("request after scale to zero: %d cold=%v", status, lease.Cold)
	}
	// A busy instance is never reaped.
	busy, _ := e.eng.Acquire(context.Background(), "greet")
	for range 5 { // several reaper passes, each an hour later
		clock.Advance(time.Hour)
		e.eng.ReapNow()
	}
	if n := len(e.held(t, "greet")); n != 1 {
		t.Errorf("busy instance reaped: the pool holds %d", n)
	}
	busy.Release(false)
}

// TestDeployPrewarmsMinimum starts min instances before the switch.
func TestDeployPrewarmsMinimum(t *testing.T) {
	e := newEnv(t)
	fn, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{
		Name: "greet", Code: http.NoBody, Scaling: lambda.ScalingPatch{MinInstances: ptr(3)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if fn.Scaling.MinInstances != 3 {
		t.Errorf("scaling %+v", fn.Scaling)
	}
	if n := len(e.running(t, "greet")); n != 3 {
		t.Errorf("%d instances warm after deploy, want 3", n)
	}
	all, _ := e.eng.Instances(context.Background(), "greet")
	for _, in := range all {
		if in.State != lambda.InstanceIdle {
			t.Errorf("instance %s is %s, want idle", in.ID, in.State)
		}
	}
}
