package engine

import (
	"context"
	"time"

	"github.com/lambdahq/lambda"
)

// framed reports whether instances of protocol run behind a shim.
func framed(protocol string) bool {
	switch protocol {
	case lambda.ProtocolAWS, lambda.ProtocolHandler, lambda.ProtocolStdio:
		return true
	}
	return false
}

// unframe moves a shim frame from l's message to its Invocation.
func unframe(l *lambda.LogLine) {
	if id, text, ok := lambda.Unframe(l.Message); ok {
		l.Invocation, l.Message = id, text
	}
}

// collectLogs follows in's output into the log store, from the
// container's start or, when resume is set (an instance adopted after a
// restart), from after its newest stored line, until the container stops or the engine
// closes. The driver reads from Docker's log driver, which drains the
// container's pipes itself: a slow store delays this reader, never the
// function. It runs as an engine task, so Close waits for it.
func (e *Engine) collectLogs(in *lambda.Instance, protocol string, resume bool) {
	if e.Logs == nil {
		return
	}
	// Stored before the instance can be leased, so that every lease
	// registers its invocation: a framed line is attributed only to one
	// (logs_attribution.go).
	attr := &attribution{framed: framed(protocol)}
	e.attrs.Store(in.ID, attr)
	started := e.background(func(ctx context.Context) {
		defer e.attrs.Delete(in.ID)
		var since time.Time
		if resume {
			since = e.lastLogTime(ctx, in)
		}
		var lines []lambda.LogLine
		var caps invocationCaps
		frames := framed(protocol)
		// Framed lines name their invocation, which must be one leased to
		// this instance; the windows give its trace ID.
		var lastID, lastTrace string // a framed invocation's lines come in runs
		emit := func(batch []lambda.LogLine) {
			lines = append(lines[:0], batch...)
			for i := range lines {
				l := &lines[i]
				l.Function, l.Version, l.Instance = in.Function, in.Version, in.ID
				if frames {
					unframe(l)
					if l.Invocation != "" && l.Invocation != lastID {
						if attr.leasedTo(l.Invocation) {
							lastID, lastTrace = l.Invocation, attr.traceOf(l.Invocation)
						} else {
							l.Invocation = "" // a forged frame: the text is kept, unattributed
						}
					}
					if l.Invocation != "" {
						l.TraceID = lastTrace
					}
				} else {
					l.Invocation, l.TraceID = attr.at(l.Time)
				}
			}
			since = lines[len(lines)-1].Time.Add(time.Nanosecond)
			if lines = caps.apply(lines); len(lines) == 0 {
				return
			}
			if err := e.Logs.Append(ctx, lines); err != nil && ctx.Err() == nil {
				e.Logger.Warn("cannot store an instance's output", "function", in.Function, "container", short(in.ID), "lines", len(lines), "err", err)
			}
		}
		for {
			err := e.Driver.FollowLogs(ctx, in.ID, since, emit)
			if err == nil || ctx.Err() != nil || lambda.ErrorCode(err) == lambda.ENOTFOUND {
				return
			}
			// Docker went away: follow again from the last line once it
			// answers, while the container may still run.
			e.Logger.Debug("following an instance's output failed; retrying", "container", short(in.ID), "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(e.ReconcileInterval):
			}
			if _, running := e.live.Load(in.ID); !running {
				return
			}
		}
	})
	if !started {
		e.attrs.Delete(in.ID)
	}
}

// lastLogTime is when the newest stored line of an adopted instance was
// printed, so that following it again after a restart stores nothing
// twice (zero when none is stored: from its start). The platform's
// START, END and REPORT lines do not count: they are not Docker's, and
// are stored after the lines they frame.
func (e *Engine) lastLogTime(ctx context.Context, in *lambda.Instance) time.Time {
	lines, err := e.Logs.Query(ctx, lambda.LogFilter{Function: in.Function, Instance: in.ID, Tail: 1, OutputOnly: true})
	if err != nil || len(lines) == 0 {
		return time.Time{}
	}
	return lines[0].Time.Add(time.Nanosecond)
}
