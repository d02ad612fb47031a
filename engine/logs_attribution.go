package engine

import (
	"sync"
	"time"
)

// Attribution of an http function's output. Its process prints without
// frames, so a line can only be given an invocation when the instance
// served that one request alone while the line was printed: the engine
// keeps, per instance, when each of its recent requests held it, and the
// collector gives a line the invocation of the one window holding its
// time. Lines printed while requests overlap (concurrency > 1) keep none.
// The windows also hold each invocation's trace ID, which a line gets with
// its invocation; for an instance behind a shim, whose frames name the
// invocation, they are kept for the trace ID (traceOf), and a frame counts
// only when it names an invocation leased to the instance (leasedTo).

// attributionWindows is how many recent requests an instance remembers;
// the collector runs a little behind the requests.
const attributionWindows = 64

// attributionGrace covers Docker reading a line from the pipe (and
// timestamping it) after the function's answer went out: tens of
// milliseconds on a busy machine, and more at load 20 and up (95 ms was
// seen, and lines read past a 50 ms grace lost their invocation in CI's
// TestTraceContext and TestLogsFollowGoFunction). It applies only while
// no request holds the instance, so a line read late while the next
// request runs goes to that one: attribution is exact only for requests
// apart by more than Docker's lag. The price of a longer grace is that
// output the function prints on its own within it after a request (a
// background goroutine's) goes to that request.
const attributionGrace = 250 * time.Millisecond

type window struct {
	id, trace  string // the invocation and its trace ID
	seq        uint64
	start, end time.Time // end zero: the request still holds the instance
}

// leasedRemembered is how many of an instance's invocations its collector
// accepts frames of (leasedTo): far more than the windows, since a busy
// instance's collector may run seconds behind its requests.
const leasedRemembered = 4096

// attribution is one instance's recent requests; it exists while the
// instance's output is collected (engine.attrs).
type attribution struct {
	mu   sync.Mutex
	ring [attributionWindows]window
	next uint64

	// leased holds the IDs of the instance's last leasedRemembered
	// invocations; order is them in lease order, a ring once full.
	leased     map[string]struct{}
	order      []string
	remembered uint64
	// framed: the instance runs behind a shim, whose frames name their
	// invocation. Only then are leases remembered: an http instance's
	// lines are attributed by the windows alone, and a map insert and
	// delete per request under the instance's lock would buy nothing.
	framed bool
}

func (a *attribution) begin(id, trace string, now time.Time) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	seq := a.next
	a.next++
	a.ring[seq%attributionWindows] = window{id: id, trace: trace, seq: seq, start: now}
	if a.framed {
		a.remember(id)
	}
	return seq
}

func (a *attribution) remember(id string) {
	if a.leased == nil {
		a.leased = make(map[string]struct{})
	}
	if _, ok := a.leased[id]; ok {
		return
	}
	if len(a.order) < leasedRemembered {
		a.order = append(a.order, id)
	} else {
		i := a.remembered % leasedRemembered
		delete(a.leased, a.order[i])
		a.order[i] = id
	}
	a.remembered++
	a.leased[id] = struct{}{}
}

// leasedTo reports whether invocation id was leased to the instance. A
// frame naming any other is not the shim's: the function runs as the
// shim's user and can write to the container's output itself
// (/proc/1/fd/1), so it could otherwise file lines under an invocation of
// its choosing, another function's included.
func (a *attribution) leasedTo(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.leased[id]
	return ok
}

func (a *attribution) end(seq uint64, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w := &a.ring[seq%attributionWindows]; w.seq == seq && w.id != "" {
		w.end = now
	}
}

// at returns the invocation that held the instance alone at t and its
// trace ID, or "". A
// line read after an answer (within attributionGrace) while no request
// holds the instance goes to the request that ended last: lines come out
// of the pipe in order, so it is the one that printed last.
func (a *attribution) at(t time.Time) (id, trace string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var held, late *window
	nHeld := 0
	var lateEnd time.Time
	for i := range a.ring {
		w := &a.ring[i]
		switch {
		case w.id == "" || t.Before(w.start):
		case w.end.IsZero() || !t.After(w.end):
			held, nHeld = w, nHeld+1
		case !t.After(w.end.Add(attributionGrace)) && w.end.After(lateEnd):
			late, lateEnd = w, w.end
		}
	}
	switch {
	case nHeld == 1:
		return held.id, held.trace
	case nHeld == 0 && late != nil:
		return late.id, late.trace
	}
	return "", ""
}

// traceOf returns the trace ID of invocation id, one of the instance's
// recent requests, or "": the lines of a framed instance name their
// invocation, not its trace.
func (a *attribution) traceOf(id string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.ring {
		if w := &a.ring[i]; w.id == id {
			return w.trace
		}
	}
	return ""
}

// attributionOf returns the instance's attribution, nil when its output
// is not collected.
func (e *Engine) attributionOf(id string) *attribution {
	if a, ok := e.attrs.Load(id); ok {
		return a.(*attribution)
	}
	return nil
}
