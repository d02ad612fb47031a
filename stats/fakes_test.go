package stats

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// memStore is a lambda.StatsStore in memory; fail makes saves fail, and
// so does failAt from that call on (the first is 1).
type memStore struct {
	mu      sync.Mutex
	minutes map[pendingKey]*lambda.StatsMinute
	saves   int
	fail    bool
	failAt  int
	calls   int
	prunes  []time.Time // pruneBefore of each call
}

func newMemStore() *memStore { return &memStore{minutes: map[pendingKey]*lambda.StatsMinute{}} }

func (s *memStore) SaveStats(_ context.Context, minutes []*lambda.StatsMinute, pruneBefore time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.prunes = append(s.prunes, pruneBefore)
	if s.fail || (s.failAt > 0 && s.calls >= s.failAt) {
		return errors.New("store down")
	}
	s.saves++
	for _, m := range minutes {
		k := pendingKey{m.Function, m.Minute.Unix() / 60}
		if s.minutes[k] == nil {
			s.minutes[k] = &lambda.StatsMinute{Function: m.Function, Minute: m.Minute}
		}
		s.minutes[k].StatsCounts.Add(m.StatsCounts)
		s.minutes[k].Latency.Merge(&m.Latency)
	}
	for k, m := range s.minutes {
		if m.Minute.Before(pruneBefore) {
			delete(s.minutes, k)
		}
	}
	return nil
}

func (s *memStore) ListStats(_ context.Context, function string, from, to time.Time) ([]*lambda.StatsMinute, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*lambda.StatsMinute
	for _, m := range s.minutes {
		if m.Function == function && !m.Minute.Before(from) && m.Minute.Before(to) {
			c := *m
			out = append(out, &c)
		}
	}
	return out, nil
}

// total adds up every stored minute of function.
func (s *memStore) total(function string) (lambda.StatsCounts, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var c lambda.StatsCounts
	var n uint64
	for _, m := range s.minutes {
		if m.Function == function {
			c.Add(m.StatsCounts)
			n += m.Latency.Count()
		}
	}
	return c, n
}

// functions is a lambda.FunctionStore that knows only FindFunction.
type functions struct {
	lambda.FunctionStore
	created map[string]time.Time
}

func (f functions) FindFunction(_ context.Context, name string) (*lambda.Function, error) {
	t, ok := f.created[name]
	if !ok {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "function %q not found", name)
	}
	return &lambda.Function{Name: name, CreatedAt: t}, nil
}

// clock is a settable time, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
