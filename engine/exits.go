package engine

import (
	"context"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// exitLog remembers recently exited containers and how they ended, so that
// a start that is still waiting for readiness learns at once that its
// container died, even when the exit event arrived before the waiter
// looked, and so that a request the instance broke can say why.
type exitLog struct {
	mu      sync.Mutex
	at      map[string]exitRecord
	waiters map[string]chan struct{}
	// recorded is closed, and replaced, at every record: a diagnosis
	// waits on it for a correction of an exit it has (a late OOM).
	recorded chan struct{}
}

type exitRecord struct {
	lambda.Exit
	at time.Time
}

const exitMemory = 10 * time.Minute

func newExitLog() *exitLog {
	return &exitLog{at: make(map[string]exitRecord), waiters: make(map[string]chan struct{}), recorded: make(chan struct{})}
}

func (l *exitLog) record(exit lambda.Exit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if old, ok := l.at[exit.ID]; ok && old.OOMKilled {
		exit.OOMKilled = true // a repeated event (reconnect) may know less
	}
	l.at[exit.ID] = exitRecord{Exit: exit, at: now}
	for k, r := range l.at {
		if now.Sub(r.at) > exitMemory {
			delete(l.at, k)
		}
	}
	if ch, ok := l.waiters[exit.ID]; ok {
		close(ch)
		delete(l.waiters, exit.ID)
	}
	close(l.recorded)
	l.recorded = make(chan struct{})
}

// oomKilled waits, until ctx ends, for an exit of id that says it was
// killed for memory, and reports whether one came.
func (l *exitLog) oomKilled(ctx context.Context, id string) bool {
	for {
		l.mu.Lock()
		r, ok := l.at[id]
		next := l.recorded
		l.mu.Unlock()
		if ok && r.OOMKilled {
			return true
		}
		select {
		case <-next:
		case <-ctx.Done():
			return false
		}
	}
}

func (l *exitLog) exited(id string) bool {
	_, ok := l.exit(id)
	return ok
}

// exit returns how id ended, if it has.
func (l *exitLog) exit(id string) (lambda.Exit, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.at[id]
	return r.Exit, ok
}

// changed returns a channel closed when id exits.
func (l *exitLog) changed(id string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch, ok := l.waiters[id]
	if !ok {
		ch = make(chan struct{})
		if _, done := l.at[id]; done {
			close(ch)
			return ch
		}
		l.waiters[id] = ch
	}
	return ch
}

// watchExits follows container exits for the engine's lifetime, removing
// dead instances from routing, and dead generic instances from their
// pools (preinit_exits.go), as soon as Docker reports them.
func (e *Engine) watchExits() {
	for {
		ch, err := e.Driver.WatchExits(e.ctx)
		if err != nil {
			select {
			case <-e.ctx.Done():
				return
			case <-time.After(e.ReconcileInterval):
				continue
			}
		}
		for exit := range ch {
			e.exits.record(exit)
			e.dropInstance(exit.ID)
			e.dropGeneric(exit)
		}
		if e.ctx.Err() != nil {
			return
		}
	}
}

// exitWait bounds how long a request its instance broke waits for the
// instance's exit event, to tell the client why: Docker reports a death
// a little after the connection breaks.
const exitWait = 2 * time.Second

// oomWait bounds how long a diagnosis of a SIGKILL exit waits for the
// driver to correct it as an out-of-memory kill: Docker may report the
// kernel's OOM a moment after the container's death (docker/events_oom.go).
const oomWait = time.Second

// diagnose explains a request that in broke (see lambda.Lease.Failure):
// it waits up to exitWait for the container's exit and describes it; nil
// when the container still runs. An exit by SIGKILL, which is how the
// kernel's OOM killer ends a process, waits up to oomWait more for the
// word that it was for memory, so that the client is told to raise the
// limit rather than a bare status 137.
func (e *Engine) diagnose(ctx context.Context, in *instance, v *lambda.Version) error {
	wctx, cancel := context.WithTimeout(ctx, exitWait)
	defer cancel()
	select {
	case <-e.exits.changed(in.ID):
	case <-wctx.Done():
		return nil
	}
	exit, _ := e.exits.exit(in.ID)
	if exit.ExitCode == exitStatusKilled && !exit.OOMKilled {
		octx, cancel := context.WithTimeout(ctx, oomWait)
		defer cancel()
		exit.OOMKilled = e.exits.oomKilled(octx, in.ID)
	}
	return exitError(v, exit)
}

// exitStatusKilled is the exit status of a container whose main process
// was killed by SIGKILL (128+9), as the kernel's OOM killer does.
const exitStatusKilled = 137

// exitError is what a client is told about an instance that ended while
// serving it.
func exitError(v *lambda.Version, exit lambda.Exit) error {
	switch {
	case exit.OOMKilled:
		return lambda.Errorf(lambda.EOUTOFMEMORY, "function %q ran out of memory (limit %s) and was stopped; raise it with \"lambda deploy --memory\"", v.Function, lambda.FormatBytes(memoryLimit(v)))
	case exit.ExitCode >= 0:
		return lambda.Errorf(lambda.EFUNCTION, "function %q exited with status %d while handling the request", v.Function, exit.ExitCode)
	}
	return nil
}

// memoryLimit is the limit the driver applied to v's instances.
func memoryLimit(v *lambda.Version) int64 {
	if v.Config.MemoryBytes > 0 {
		return v.Config.MemoryBytes
	}
	return lambda.DefaultMemoryBytes
}
