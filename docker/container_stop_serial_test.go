package docker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// stopAPI is a Docker API that answers a container's inspect with 404,
// its stop after delay(id) and its removal at once, and counts the
// containers between their stop's start and their removal.
type stopAPI struct {
	delay             func(id string) time.Duration
	inFlight, maxSeen atomic.Int32
	mu                sync.Mutex
	removed           []string
}

func (a *stopAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := strings.Split(r.URL.Path[strings.Index(r.URL.Path, "/containers/")+len("/containers/"):], "/")[0]
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/stop"):
		n := a.inFlight.Add(1)
		for m := a.maxSeen.Load(); n > m && !a.maxSeen.CompareAndSwap(m, n); m = a.maxSeen.Load() {
		}
		time.Sleep(a.delay(id))
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodDelete:
		a.inFlight.Add(-1)
		a.mu.Lock()
		a.removed = append(a.removed, id)
		a.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, `{"message":"No such container"}`, http.StatusNotFound)
	}
}

func stopDriver(t *testing.T, api http.Handler) *Driver {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	cli, err := client.New(client.WithHost("tcp://"+srv.Listener.Addr().String()), client.WithAPIVersion("1.41"))
	if err != nil {
		t.Fatal(err)
	}
	return &Driver{cli: cli}
}

// TestStopsRunOneAtATime: stops asked for at once reach the daemon one
// after the other, each through its removal: overlapping exits are what
// deadlock Docker 20.10's libnetwork (container_stop_serial.go). Before,
// all six were in flight together.
func TestStopsRunOneAtATime(t *testing.T) {
	api := &stopAPI{delay: func(string) time.Duration { return 20 * time.Millisecond }}
	d := stopDriver(t, api)
	var wg sync.WaitGroup
	for _, id := range []string{"a", "b", "c", "d", "e", "f"} {
		wg.Go(func() {
			if err := d.StopInstance(context.Background(), id, time.Second); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := api.maxSeen.Load(); got != 1 {
		t.Errorf("%d stops in flight at once, want 1", got)
	}
	if len(api.removed) != 6 {
		t.Errorf("removed %v, want all six", api.removed)
	}
}

// TestALongStopGivesUpItsTurn: a stop that takes longer than its turn
// (a container that ignores SIGTERM for its whole grace) does not hold
// up the others until it ends.
func TestALongStopGivesUpItsTurn(t *testing.T) {
	api := &stopAPI{delay: func(id string) time.Duration {
		if id == "slow" {
			return 2 * time.Second
		}
		return 0
	}}
	d := stopDriver(t, api)
	d.stops.turn = 50 * time.Millisecond
	slow := make(chan error, 1)
	go func() { slow <- d.StopInstance(context.Background(), "slow", time.Second) }()
	for api.inFlight.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if err := d.StopInstance(context.Background(), "quick", time.Second); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("a quick stop waited %s behind a long one, want about its turn (50ms)", waited)
	}
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
}

// TestAStopWaitingForItsTurnEndsWithItsContext: a caller who gives up
// while another stop holds the turn is not kept waiting.
func TestAStopWaitingForItsTurnEndsWithItsContext(t *testing.T) {
	api := &stopAPI{delay: func(string) time.Duration { return 500 * time.Millisecond }}
	d := stopDriver(t, api)
	go d.StopInstance(context.Background(), "first", time.Second)
	for api.inFlight.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := d.StopInstance(ctx, "second", time.Second); err == nil {
		t.Fatal("a stop whose context ended while it waited for its turn succeeded")
	}
}
