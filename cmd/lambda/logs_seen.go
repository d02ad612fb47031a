package main

import (
	"hash/maphash"
	"strconv"
	"time"

	"github.com/lambdahq/lambda"
)

// The server stores lines in the order its collectors read them, which is
// not their time order: each instance's collector appends on its own, one
// behind a flood appends lines older than others already stored, the
// platform's START line comes after the function's first lines, and after
// a restart an adopted instance's output is read again from Docker. So a
// follow cannot resume "after the last line printed": it asks again for
// the lines of the last resumeWindow before the newest one printed and
// skips those it printed already, which it remembers for that long.
const (
	// resumeWindow is how far behind the newest line printed a line may
	// be stored and still be printed after a reconnection.
	resumeWindow = 10 * time.Second
	// maxSeenLines bounds what a follow remembers under a flood; past it
	// the window shrinks (a reconnection may then lose the oldest lines
	// of the window, never print one twice).
	maxSeenLines = 200_000
)

type seenLine struct {
	key uint64
	at  time.Time
}

// seenLines are the keys of the lines a follow printed lately.
type seenLines struct {
	seed   maphash.Seed
	keys   map[uint64]struct{}
	order  []seenLine // in the order printed
	newest time.Time  // of the lines printed
	floor  time.Time  // every line printed at or after it is in keys
}

func newSeenLines() *seenLines {
	return &seenLines{seed: maphash.MakeSeed(), keys: map[uint64]struct{}{}}
}

func (s *seenLines) key(l *lambda.LogLine) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	var b [20]byte
	h.Write(strconv.AppendInt(b[:0], l.Time.UnixNano(), 10))
	for _, f := range []string{l.Instance, l.Stream, l.Invocation, l.Message} {
		h.WriteByte(0)
		h.WriteString(f)
	}
	return h.Sum64()
}

// add records l as printed; it reports false when it was printed already.
func (s *seenLines) add(l *lambda.LogLine) bool {
	k := s.key(l)
	if _, ok := s.keys[k]; ok {
		return false
	}
	s.keys[k] = struct{}{}
	s.order = append(s.order, seenLine{key: k, at: l.Time})
	if l.Time.After(s.newest) {
		s.newest = l.Time
	}
	edge := s.newest.Add(-resumeWindow)
	for len(s.order) > 0 && (s.order[0].at.Before(edge) || len(s.order) > maxSeenLines) {
		old := s.order[0]
		s.order = s.order[1:]
		delete(s.keys, old.key)
		if next := old.at.Add(time.Nanosecond); next.After(s.floor) {
			s.floor = next
		}
	}
	if len(s.order) == 0 {
		s.order = nil // let the array go
	}
	return true
}

// since is where a reconnection resumes (zero: nothing printed yet).
func (s *seenLines) since() time.Time {
	if s.newest.IsZero() {
		return time.Time{}
	}
	from := s.newest.Add(-resumeWindow)
	if s.floor.After(from) {
		from = s.floor
	}
	return from
}
