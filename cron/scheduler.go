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

// Queue takes a schedule's ticks as asynchronous invocations: each becomes
// a job with the function's retries, history and destinations.
// lambda.AsyncService satisfies it.
type Queue interface {
	// Submit stores the invocation and returns its job once committed;
	// created is false when the idempotency key named an existing job.
	// ECONFLICT: the schedule's overlap policy refused the tick.
	Submit(ctx context.Context, req *lambda.InvokeRequest) (job *lambda.Job, created bool, err error)
}

// Scheduler queues a job for each schedule that comes due. It sleeps until
// the earliest tick it knows of; call Notify when schedules change.
//
// A tick is submitted first and recorded (MarkScheduleRun) after, under an
// idempotency key made of the schedule's ID and the tick's own time. A
// crash between the two therefore neither loses the tick (it is still due
// at restart) nor queues it twice (the key names the job already queued),
// as long as the restart comes within lambda.IdempotencyWindow; after
// that the tick runs once more. Recording first would instead lose the
// tick, and a tick whose submission failed because the store was down
// would be lost with it.
type Scheduler struct {
	Store  lambda.ScheduleStore
	Queue  Queue
	Parser lambda.CronParser
	Clock  Clock
	Logger *slog.Logger
	// MaxSleep bounds each wait. Timers measure elapsed time while schedules
	// follow the wall clock, which can jump (a suspended host, an NTP step).
	MaxSleep time.Duration
	// RetryDelay is how long to wait before trying again a tick that could
	// not be submitted or recorded, or schedules that could not be loaded.
	RetryDelay time.Duration
	// SubmitTimeout bounds each submission and each record of a run, so
	// that a store that hangs delays the other schedules by that much at
	// most before the tick is retried.
	SubmitTimeout time.Duration

	notify chan struct{}
	done   chan struct{} // closed when the loop returns

	mu     sync.Mutex
	cancel context.CancelFunc
}

// NewScheduler returns a scheduler on the real clock with the default parser.
func NewScheduler(store lambda.ScheduleStore, queue Queue) *Scheduler {
	return &Scheduler{
		Store:         store,
		Queue:         queue,
		Parser:        Parser{},
		Clock:         SystemClock{},
		Logger:        slog.Default(),
		MaxSleep:      time.Minute,
		RetryDelay:    5 * time.Second,
		SubmitTimeout: 30 * time.Second,
		notify:        make(chan struct{}, 1),
	}
}

// Open loads the schedules and starts the loop. Schedules whose time passed
// while the server was down are queued once, now.
func (s *Scheduler) Open(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.cancel != nil:
		return errors.New("cron: scheduler is already open")
	case s.Store == nil || s.Queue == nil:
		return errors.New("cron: scheduler needs a Store and a Queue")
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

// Close stops the loop, interrupting a submission in progress (its tick
// stays due and is submitted again at the next start), and waits for it
// until ctx ends.
func (s *Scheduler) Close(ctx context.Context) error {
	s.mu.Lock()
	cancel, loopDone := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-loopDone:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cron: close: a submission is still in progress: %w", ctx.Err())
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

// entry is a schedule as the loop tracks it. sc.NextRunAt is the time of
// its next tick, which names the tick (tickKey) until it is recorded.
type entry struct {
	sc *lambda.Schedule
	// retryAt, when set, is when a tick that could not be submitted or
	// recorded is tried again.
	retryAt time.Time
}

func (e *entry) due() time.Time {
	if !e.retryAt.IsZero() {
		return e.retryAt
	}
	return e.sc.NextRunAt
}

func (s *Scheduler) loop(ctx context.Context, entries []*entry) {
	defer close(s.done)
	reload := false
	for {
		wait := s.RetryDelay
		if reload {
			if fresh, err := s.load(ctx); err != nil {
				if ctx.Err() == nil {
					s.Logger.Error("cron: cannot load schedules, retrying", "retry_in", wait, "error", err)
				}
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
func (s *Scheduler) load(ctx context.Context) ([]*entry, error) {
	list, err := s.Store.ListSchedules(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]*entry, 0, len(list))
	for _, sc := range list {
		c := *sc
		if c.NextRunAt.IsZero() {
			// Count from creation, not from now, so repeated reloads (and
			// restarts) give the first tick the same time, hence the same key.
			from := c.CreatedAt
			if from.IsZero() {
				from = s.Clock.Now()
			}
			if c.NextRunAt, err = s.Parser.Next(c.Cron, c.Timezone, from); err != nil {
				s.Logger.Error("cron: schedule ignored", "schedule", c.ID, "function", c.Function, "error", err)
				continue
			}
		}
		out = append(out, &entry{sc: &c})
	}
	return out, nil
}

// tick submits the due schedules' ticks and returns the entries to keep and
// how long to sleep until the next one is due.
func (s *Scheduler) tick(ctx context.Context, entries []*entry) ([]*entry, time.Duration) {
	now := s.Clock.Now()
	earliest := now.Add(s.MaxSleep)
	kept := entries[:0]
	for _, e := range entries {
		if ctx.Err() != nil { // closing: what is left stays due in the store
			return entries, s.RetryDelay
		}
		if !e.due().After(now) && !s.run(ctx, e, now) {
			continue
		}
		kept = append(kept, e)
		if due := e.due(); due.Before(earliest) {
			earliest = due
		}
	}
	clear(entries[len(kept):])
	return kept, earliest.Sub(now)
}

// run submits one due tick, records it and reports whether to keep the
// schedule. The next tick is counted from now, so ticks missed while the
// server was down (or while the store was) collapse into one.
func (s *Scheduler) run(ctx context.Context, e *entry, now time.Time) bool {
	sc := e.sc
	log := s.Logger.With("schedule", sc.ID, "function", sc.Function)
	next, err := s.Parser.Next(sc.Cron, sc.Timezone, now)
	if err != nil {
		log.Error("cron: schedule disabled until the next reload", "error", err)
		return false
	}
	ranAt, ran := now, true
	job, created, err := s.submit(ctx, sc)
	switch code := lambda.ErrorCode(err); {
	case err == nil && created:
		log.Debug("cron: tick queued", "job", job.ID)
	case err == nil:
		log.Info("cron: tick was already queued before a restart", "job", job.ID)
	case ctx.Err() != nil:
		return true // closing: the tick stays due in the store
	case code == lambda.ECONFLICT:
		ran = false
		log.Info("cron: tick skipped: an earlier tick has not finished", "overlap", overlap(sc), "next_run_at", next, "reason", lambda.ErrorMessage(err))
	case code == lambda.ENOTFOUND:
		ran = false
		log.Warn("cron: tick dropped: the function does not exist or has no active version", "error", err)
	case retryable(code):
		level := slog.LevelError
		if code == lambda.ETHROTTLED {
			level = slog.LevelWarn // the function's queue is full: it drains by itself
		}
		log.Log(ctx, level, "cron: cannot queue the tick, retrying", "retry_in", s.RetryDelay, "error", err)
		e.retryAt = now.Add(s.RetryDelay)
		return true
	default:
		ran = false
		log.Error("cron: tick dropped: the queue refused it", "error", err)
	}
	if !ran && sc.LastRunAt != nil {
		ranAt = *sc.LastRunAt // a tick not queued is not a run
	}
	if err := s.mark(ctx, sc.ID, ranAt, next); err != nil {
		switch {
		case lambda.ErrorCode(err) == lambda.ENOTFOUND:
			log.Debug("cron: schedule was deleted")
			return false
		case ctx.Err() == nil:
			// The tick keeps its time, hence its key: the retry finds the
			// job already queued rather than queueing another.
			log.Error("cron: cannot record the tick, retrying", "retry_in", s.RetryDelay, "error", err)
		}
		e.retryAt = now.Add(s.RetryDelay)
		return true
	}
	sc.NextRunAt, e.retryAt = next, time.Time{}
	if ran {
		sc.LastRunAt = &ranAt
	}
	return true
}

func (s *Scheduler) submit(ctx context.Context, sc *lambda.Schedule) (*lambda.Job, bool, error) {
	payload := []byte(sc.Data)
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	ctx, cancel := context.WithTimeout(ctx, s.SubmitTimeout)
	defer cancel()
	return s.Queue.Submit(ctx, &lambda.InvokeRequest{
		Function:       sc.Function,
		Payload:        payload,
		Trigger:        lambda.TriggerCron,
		Schedule:       sc.ID,
		Overlap:        overlap(sc),
		IdempotencyKey: tickKey(sc),
	})
}

func (s *Scheduler) mark(ctx context.Context, id string, ranAt, next time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, s.SubmitTimeout)
	defer cancel()
	return s.Store.MarkScheduleRun(ctx, id, ranAt, next)
}

// tickKey names a tick: the same schedule and tick time give the same key,
// however often the tick is submitted.
func tickKey(sc *lambda.Schedule) string {
	return "cron:" + sc.ID + "@" + sc.NextRunAt.UTC().Format(time.RFC3339Nano)
}

// overlap returns sc's policy; schedules stored without one skip.
func overlap(sc *lambda.Schedule) string {
	if sc.Overlap == "" {
		return lambda.OverlapSkip
	}
	return sc.Overlap
}

// retryable reports whether a submission that failed with code may succeed
// later: the store or the platform failed, or the function's queue is full.
func retryable(code string) bool {
	switch code {
	case lambda.EINTERNAL, lambda.EUNAVAILABLE, lambda.ETHROTTLED, lambda.ETIMEOUT:
		return true
	}
	return false
}
