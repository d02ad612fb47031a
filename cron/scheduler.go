package cron

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// Invoker runs a function on behalf of a schedule.
type Invoker interface {
	InvokeScheduled(ctx context.Context, function string, payload []byte) error
}

// Scheduler invokes functions when their schedules come due. It sleeps until
// the earliest NextRunAt it knows of; call Notify when schedules change.
type Scheduler struct {
	Store   lambda.ScheduleStore
	Invoker Invoker
	Parser  lambda.CronParser
	Clock   Clock
	Logger  *slog.Logger
	// MaxSleep bounds each wait. Timers measure elapsed time while schedules
	// follow the wall clock, which can jump (a suspended host, an NTP step).
	MaxSleep time.Duration
	// RetryDelay is how long to wait before retrying after the store fails.
	RetryDelay time.Duration

	notify chan struct{}
	done   chan struct{} // closed when the loop returns
	runs   sync.WaitGroup

	mu       sync.Mutex
	cancel   context.CancelFunc
	inflight map[string]int // schedule ID → runs in progress
}

// NewScheduler returns a scheduler on the real clock with the default parser.
func NewScheduler(store lambda.ScheduleStore, inv Invoker) *Scheduler {
	return &Scheduler{
		Store:      store,
		Invoker:    inv,
		Parser:     Parser{},
		Clock:      SystemClock{},
		Logger:     slog.Default(),
		MaxSleep:   time.Minute,
		RetryDelay: 5 * time.Second,
		notify:     make(chan struct{}, 1),
		inflight:   map[string]int{},
	}
}

// Open loads the schedules and starts the loop. Schedules whose time passed
// while the server was down run once, now.
func (s *Scheduler) Open(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.cancel != nil:
		return errors.New("cron: scheduler is already open")
	case s.Store == nil || s.Invoker == nil:
		return errors.New("cron: scheduler needs a Store and an Invoker")
	case s.notify == nil:
		return errors.New("cron: scheduler must be made with NewScheduler")
	}
	entries, err := s.load(ctx)
	if err != nil {
		return fmt.Errorf("cron: load schedules: %w", err)
	}
	// The loop outlives the call to Open: keep ctx's values, not its deadline.
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.done = make(chan struct{})
	go s.loop(loopCtx, entries)
	return nil
}

// Close stops the loop, cancels the runs in flight and waits for both, or
// until ctx ends.
func (s *Scheduler) Close(ctx context.Context) error {
	s.mu.Lock()
	cancel, loopDone := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	done := make(chan struct{})
	go func() {
		<-loopDone // the loop alone starts runs: once it is gone, Wait is safe
		s.runs.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cron: close: scheduled runs still in flight: %w", ctx.Err())
	}
}

// Notify tells the scheduler that schedules were created or deleted: it
// re-reads the store. It never blocks.
func (s *Scheduler) Notify() {
	select {
	case s.notify <- struct{}{}:
	default: // a reload is already pending
	}
}

func (s *Scheduler) loop(ctx context.Context, entries []*lambda.Schedule) {
	defer close(s.done)
	reload := false
	for {
		wait := s.RetryDelay
		if reload {
			if fresh, err := s.load(ctx); err != nil {
				s.Logger.Error("cron: cannot load schedules, retrying", "retry_in", wait, "error", err)
			} else {
				entries, reload = fresh, false
			}
		}
		if !reload {
			entries, wait = s.tick(ctx, entries)
		}
		timer := s.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-s.notify:
			timer.Stop()
			reload = true
		case <-timer.C():
		}
	}
}

// load reads all schedules. The copies it returns belong to the loop.
func (s *Scheduler) load(ctx context.Context) ([]*lambda.Schedule, error) {
	list, err := s.Store.ListSchedules(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]*lambda.Schedule, 0, len(list))
	for _, sc := range list {
		c := *sc
		if c.NextRunAt.IsZero() {
			// Count from creation, not from now, so repeated reloads do not
			// keep pushing the first run away.
			from := c.CreatedAt
			if from.IsZero() {
				from = s.Clock.Now()
			}
			if c.NextRunAt, err = s.Parser.Next(c.Cron, c.Timezone, from); err != nil {
				s.Logger.Error("cron: schedule ignored", "schedule", c.ID, "function", c.Function, "error", err)
				continue
			}
		}
		out = append(out, &c)
	}
	return out, nil
}

// tick runs the due schedules and returns those to keep and how long to
// sleep until the next one is due.
func (s *Scheduler) tick(ctx context.Context, entries []*lambda.Schedule) ([]*lambda.Schedule, time.Duration) {
	now := s.Clock.Now()
	earliest := now.Add(s.MaxSleep)
	kept := entries[:0]
	for _, sc := range entries {
		if !sc.NextRunAt.After(now) && !s.run(ctx, sc, now) {
			continue
		}
		kept = append(kept, sc)
		if sc.NextRunAt.Before(earliest) {
			earliest = sc.NextRunAt
		}
	}
	clear(entries[len(kept):])
	return kept, earliest.Sub(now)
}

// run handles one due schedule and reports whether to keep it. The next run
// is counted from now, so ticks missed while the server was down collapse
// into one, and it is stored before the invocation starts, so a crash
// cannot run the same tick twice.
func (s *Scheduler) run(ctx context.Context, sc *lambda.Schedule, now time.Time) bool {
	log := s.Logger.With("schedule", sc.ID, "function", sc.Function)
	next, err := s.Parser.Next(sc.Cron, sc.Timezone, now)
	if err != nil {
		log.Error("cron: schedule disabled until the next reload", "error", err)
		return false
	}
	ranAt := now
	skip := sc.Overlap != lambda.OverlapAllow && s.running(sc.ID)
	if skip && sc.LastRunAt != nil {
		ranAt = *sc.LastRunAt // a skipped tick is not a run
	}
	if err := s.Store.MarkScheduleRun(ctx, sc.ID, ranAt, next); err != nil {
		switch {
		case lambda.ErrorCode(err) == lambda.ENOTFOUND:
			log.Debug("cron: schedule was deleted")
			return false
		case ctx.Err() == nil:
			log.Error("cron: cannot record the run, retrying", "retry_in", s.RetryDelay, "error", err)
		}
		sc.NextRunAt = now.Add(s.RetryDelay)
		return true
	}
	sc.NextRunAt = next
	if skip {
		log.Warn("cron: tick skipped: the previous run is still in progress", "next_run_at", next)
		return true
	}
	sc.LastRunAt = &ranAt
	s.start(ctx, log, sc)
	return true
}

func (s *Scheduler) running(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight[id] > 0
}

func (s *Scheduler) start(ctx context.Context, log *slog.Logger, sc *lambda.Schedule) {
	payload := []byte(sc.Data)
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	id, fn := sc.ID, sc.Function
	s.mu.Lock()
	s.inflight[id]++
	s.mu.Unlock()
	s.runs.Add(1)
	go func() {
		defer s.runs.Done()
		defer func() {
			if r := recover(); r != nil {
				log.Error("cron: scheduled invocation panicked", "panic", r)
			}
			s.mu.Lock()
			if s.inflight[id]--; s.inflight[id] <= 0 {
				delete(s.inflight, id)
			}
			s.mu.Unlock()
		}()
		log.Debug("cron: invoking")
		err := s.Invoker.InvokeScheduled(ctx, fn, payload)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			log.Info("cron: scheduled invocation interrupted by shutdown", "error", err)
		default:
			log.Error("cron: scheduled invocation failed", "error", err)
		}
	}()
}
