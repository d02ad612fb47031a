package cron

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// fakeClock only moves when told to. Every timer it makes is reported on
// armed, which tells a test that the loop went to sleep.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	armed  chan time.Duration
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, armed: make(chan time.Duration, 1000)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	ft := &fakeTimer{clock: c, at: c.now.Add(d), c: make(chan time.Time, 1)}
	c.timers = append(c.timers, ft)
	c.fireLocked()
	c.mu.Unlock()
	select {
	case c.armed <- d:
	default:
	}
	return ft
}

// Advance moves the clock and fires the timers that came due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.fireLocked()
}

func (c *fakeClock) fireLocked() {
	c.timers = slices.DeleteFunc(c.timers, func(ft *fakeTimer) bool {
		if ft.stopped {
			return true
		}
		if !ft.at.After(c.now) {
			ft.stopped = true
			ft.c <- c.now
			return true
		}
		return false
	})
}

// waitArmed waits for the loop to go to sleep and returns for how long.
func (c *fakeClock) waitArmed(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.armed:
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("the scheduler never went to sleep")
		return 0
	}
}

type fakeTimer struct {
	clock   *fakeClock
	at      time.Time
	c       chan time.Time
	stopped bool // fired or stopped; guarded by clock.mu
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

type mark struct {
	id          string
	ranAt, next time.Time
}

// memStore is an in-memory lambda.ScheduleStore.
type memStore struct {
	mu      sync.Mutex
	scheds  map[string]*lambda.Schedule
	marks   []mark
	listErr error
	markErr error
}

var _ lambda.ScheduleStore = (*memStore)(nil)

func newMemStore(list ...*lambda.Schedule) *memStore {
	m := &memStore{scheds: map[string]*lambda.Schedule{}}
	for _, s := range list {
		c := *s
		m.scheds[s.ID] = &c
	}
	return m
}

func (m *memStore) CreateSchedule(_ context.Context, s *lambda.Schedule) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.scheds[s.ID]; ok {
		return lambda.Errorf(lambda.ECONFLICT, "schedule %s exists", s.ID)
	}
	c := *s
	m.scheds[s.ID] = &c
	return nil
}

func (m *memStore) FindSchedule(_ context.Context, id string) (*lambda.Schedule, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.scheds[id]
	if !ok {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "schedule %s not found", id)
	}
	c := *s
	return &c, nil
}

func (m *memStore) ListSchedules(_ context.Context, function string) ([]*lambda.Schedule, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listErr != nil {
		return nil, m.listErr
	}
	var out []*lambda.Schedule
	for _, s := range m.scheds {
		if function == "" || s.Function == function {
			c := *s
			out = append(out, &c)
		}
	}
	slices.SortFunc(out, func(a, b *lambda.Schedule) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (m *memStore) DeleteSchedule(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.scheds[id]; !ok {
		return lambda.Errorf(lambda.ENOTFOUND, "schedule %s not found", id)
	}
	delete(m.scheds, id)
	return nil
}

func (m *memStore) MarkScheduleRun(_ context.Context, id string, ranAt, next time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.markErr != nil {
		return m.markErr
	}
	s, ok := m.scheds[id]
	if !ok {
		return lambda.Errorf(lambda.ENOTFOUND, "schedule %s not found", id)
	}
	s.LastRunAt, s.NextRunAt = &ranAt, next
	m.marks = append(m.marks, mark{id, ranAt, next})
	return nil
}

func (m *memStore) setErrors(list, markErr error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.listErr, m.markErr = list, markErr
}

func (m *memStore) getMarks() []mark {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.marks)
}

// fakeQueue stands for the async queue: it keeps the jobs it creates and
// applies the store's rules that concern the scheduler (idempotency keys,
// then overlap). Errors in errs are returned by the next submissions, in
// order, before any rule; with block set, each submission first waits for
// it to be closed, and for ctx too unless ignoreCtx.
type fakeQueue struct {
	block     chan struct{}
	ignoreCtx bool

	submitted chan *lambda.InvokeRequest // every submission, refused or not

	mu      sync.Mutex
	errs    []error
	jobs    []*lambda.Job // created, in order
	byKey   map[string]*lambda.Job
	ctxErrs []error // ctx.Err() of each submission when it returned
}

var _ Queue = (*fakeQueue)(nil)

func newFakeQueue() *fakeQueue {
	return &fakeQueue{submitted: make(chan *lambda.InvokeRequest, 100), byKey: map[string]*lambda.Job{}}
}

func (q *fakeQueue) Submit(ctx context.Context, req *lambda.InvokeRequest) (*lambda.Job, bool, error) {
	c := *req
	q.submitted <- &c
	if q.block != nil {
		done := ctx.Done()
		if q.ignoreCtx {
			done = nil
		}
		select {
		case <-q.block:
		case <-done:
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ctxErrs = append(q.ctxErrs, ctx.Err())
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	if len(q.errs) > 0 {
		err := q.errs[0]
		q.errs = q.errs[1:]
		if err != nil {
			return nil, false, err
		}
	}
	if j, ok := q.byKey[req.IdempotencyKey]; ok && req.IdempotencyKey != "" {
		return j, false, nil
	}
	for _, j := range q.jobs {
		if j.Schedule != req.Schedule {
			continue
		}
		if (req.Overlap == lambda.OverlapSkip && j.Pending()) || (req.Overlap == lambda.OverlapQueue && j.Status == lambda.StatusQueued) {
			return nil, false, lambda.Errorf(lambda.ECONFLICT, "schedule %s has job %s %s", req.Schedule, j.ID, j.Status)
		}
	}
	j := &lambda.Job{
		ID: fmt.Sprintf("job%d", len(q.jobs)+1), Function: req.Function, Trigger: req.Trigger, Payload: req.Payload,
		Status: lambda.StatusQueued, IdempotencyKey: req.IdempotencyKey, Schedule: req.Schedule, Overlap: req.Overlap,
	}
	q.jobs = append(q.jobs, j)
	if req.IdempotencyKey != "" {
		q.byKey[req.IdempotencyKey] = j
	}
	return j, true, nil
}

// failNext makes the next submissions fail with errs, in order.
func (q *fakeQueue) failNext(errs ...error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.errs = append(q.errs, errs...)
}

// setStatus moves the job with id on, as the workers would.
func (q *fakeQueue) setStatus(id, status string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, j := range q.jobs {
		if j.ID == id {
			j.Status = status
		}
	}
}

// created returns the jobs created so far, as copies.
func (q *fakeQueue) created() []lambda.Job {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]lambda.Job, len(q.jobs))
	for i, j := range q.jobs {
		out[i] = *j
	}
	return out
}

// next waits for the next submission.
func (q *fakeQueue) next(t *testing.T) *lambda.InvokeRequest {
	t.Helper()
	select {
	case r := <-q.submitted:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no submission")
		return nil
	}
}

// none checks that nothing was submitted since the last next.
func (q *fakeQueue) none(t *testing.T) {
	t.Helper()
	select {
	case r := <-q.submitted:
		t.Fatalf("unexpected submission %+v", r)
	default:
	}
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
