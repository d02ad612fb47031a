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

// attributionWindows is how many recent requests an instance remembers;
// the collector runs a little behind the requests.
const attributionWindows = 64

// attributionGrace covers Docker reading a line from the pipe (and
// timestamping it) just after the function's answer went out.
const attributionGrace = 5 * time.Millisecond

type window struct {
	id         string
	seq        uint64
	start, end time.Time // end zero: the request still holds the instance
}

// attribution is one instance's recent requests; it exists while the
// instance's output is collected (engine.attrs).
type attribution struct {
	mu   sync.Mutex
	ring [attributionWindows]window
	next uint64
}

func (a *attribution) begin(id string, now time.Time) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	seq := a.next
	a.next++
	a.ring[seq%attributionWindows] = window{id: id, seq: seq, start: now}
	return seq
}

func (a *attribution) end(seq uint64, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w := &a.ring[seq%attributionWindows]; w.seq == seq && w.id != "" {
		w.end = now
	}
}

// at returns the invocation that held the instance alone at t, or "". A
// line read just after an answer (within attributionGrace) goes to that
// request when no request held the instance at t.
func (a *attribution) at(t time.Time) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	held, late := "", ""
	nHeld, nLate := 0, 0
	for i := range a.ring {
		w := &a.ring[i]
		switch {
		case w.id == "" || t.Before(w.start):
		case w.end.IsZero() || !t.After(w.end):
			held, nHeld = w.id, nHeld+1
		case !t.After(w.end.Add(attributionGrace)):
			late, nLate = w.id, nLate+1
		}
	}
	switch {
	case nHeld == 1:
		return held
	case nHeld == 0 && nLate == 1:
		return late
	}
	return ""
}

// attributionOf returns the instance's attribution, nil when its output
// is not collected or is framed by a shim.
func (e *Engine) attributionOf(id string) *attribution {
	if a, ok := e.attrs.Load(id); ok {
		return a.(*attribution)
	}
	return nil
}
