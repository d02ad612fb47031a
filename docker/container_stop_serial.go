package docker

import (
	"context"
	"sync"
	"time"
)

// Docker 20.10 before 20.10.27 (Debian 12 ships 20.10.24) deadlocks in
// libnetwork when a container leaves a network (getSvcRecords: network
// lock, then controller lock) while the endpoint of another one is being
// deleted (processEndpointDelete: controller, then network): moby/moby
// #42545, backported to 20.10 in moby/libnetwork #2679. The daemon then
// answers no stop, inspect or create of a container on that network
// until it restarts. A bench run's clean-up, stopping a dozen containers
// at once, wedged this machine's daemon that way. Stops that overlap are
// what make it likely: each stop's exit releases its endpoints, so the
// driver runs them one at a time. A stop holds its turn for at most
// stopTurn: one whose container ignores SIGTERM for its whole grace
// would otherwise hold up every other, and one long stop beside another
// is no worse than the daemon's own odds.
const stopTurn = 3 * time.Second

// stopTurns hands out the turns; the zero value is ready.
type stopTurns struct {
	once sync.Once
	ch   chan struct{}
	// turn replaces stopTurn in tests.
	turn time.Duration
}

// take waits for a turn (or ctx's end) and returns its release, which
// may be called more than once; the turn ends by itself after stopTurn.
func (s *stopTurns) take(ctx context.Context) (func(), error) {
	s.once.Do(func() { s.ch = make(chan struct{}, 1) })
	select {
	case s.ch <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var released sync.Once
	release := func() { released.Do(func() { <-s.ch }) }
	limit := s.turn
	if limit <= 0 {
		limit = stopTurn
	}
	t := time.AfterFunc(limit, release)
	return func() { t.Stop(); release() }, nil
}
