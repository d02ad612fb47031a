package drivertest

import (
	"context"
	"time"

	"github.com/lambdahq/lambda"
)

// wakeLogsLocked tells every FollowLogs that something changed.
func (f *fakeEngine) wakeLogsLocked() {
	if f.logWake != nil {
		close(f.logWake)
		f.logWake = nil
	}
}

func (f *fakeEngine) logWakeLocked() <-chan struct{} {
	if f.logWake == nil {
		f.logWake = make(chan struct{})
	}
	return f.logWake
}

// FollowLogs sends the instance's lines (all on stdout) as they are
// logged, until it stops or ctx ends.
func (f *Fake) FollowLogs(ctx context.Context, id string, since time.Time, emit func([]lambda.LogLine)) error {
	if err := f.check(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	fi := f.instances[id]
	f.mu.Unlock()
	if fi == nil {
		return lambda.Errorf(lambda.ENOTFOUND, "instance %s not found", id)
	}
	var next int64
	var batch []lambda.LogLine
	for {
		f.mu.Lock()
		base := fi.logTotal - int64(len(fi.logs))
		next = max(next, base)
		batch = batch[:0]
		for i := next - base; i < int64(len(fi.logs)); i++ {
			if !since.IsZero() && fi.logAt[i].Before(since) {
				continue
			}
			l := lambda.LogLine{Time: fi.logAt[i], Stream: lambda.StreamStdout, Message: fi.logs[i]}
			if len(l.Message) > lambda.MaxLogLine {
				l.Message, l.Truncated = l.Message[:lambda.MaxLogLine], true
			}
			batch = append(batch, l)
		}
		next = fi.logTotal
		running := fi.inst.Running
		wake := f.logWakeLocked()
		f.mu.Unlock()
		if len(batch) > 0 {
			emit(batch)
		}
		if !running {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
