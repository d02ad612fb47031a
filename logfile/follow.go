package logfile

import (
	"context"
	"sync"
	"unsafe"

	"github.com/lambdahq/lambda"
)

// follower holds the lines appended for one Follow until its goroutine
// has sent them. Its queue is bounded in bytes, each line counted with
// what it takes besides its message (a flood of one-character lines is
// mostly that), and the lines being sent still count: past followBuffer
// it counts lines instead of keeping them, so a reader that does not read
// costs writers nothing and holds a bounded amount of memory.
type follower struct {
	filter  lambda.LogFilter
	mu      sync.Mutex
	queue   []lambda.LogLine
	bytes   int // of the queue and of the lines taken but not yet sent
	dropped int64
	wake    chan struct{} // one pending signal at most
	ended   chan struct{} // closed when the function's logs are deleted
	endOnce sync.Once
}

func (r *follower) push(l lambda.LogLine) {
	if !r.filter.Match(&l) {
		return
	}
	cut(&l)
	cost := queuedBytes(&l)
	r.mu.Lock()
	if r.bytes+cost > followBuffer {
		r.dropped++
	} else {
		r.queue = append(r.queue, l)
		r.bytes += cost
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *follower) end() { r.endOnce.Do(func() { close(r.ended) }) }

// lineOverhead is what a queued line takes besides its message: the
// LogLine in the queue (its other strings are shared with the engine's).
const lineOverhead = int(unsafe.Sizeof(lambda.LogLine{}))

func queuedBytes(l *lambda.LogLine) int { return len(l.Message) + lineOverhead }

// take empties the queue; its lines count until sent says they are gone.
func (r *follower) take() ([]lambda.LogLine, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	q, d := r.queue, r.dropped
	r.queue, r.dropped = nil, 0
	return q, d
}

// sent frees the room of lines taken and sent.
func (r *follower) sent(lines []lambda.LogLine) {
	n := 0
	for i := range lines {
		n += queuedBytes(&lines[i])
	}
	r.mu.Lock()
	r.bytes -= n
	r.mu.Unlock()
}

// Follow implements lambda.LogStore. The history is read from the files
// as they were when the follower joined, and the follower receives every
// line appended after: no line is missed or sent twice at the seam.
func (s *Store) Follow(ctx context.Context, filter lambda.LogFilter) (<-chan lambda.LogLine, error) {
	if s.ctx == nil || s.ctx.Err() != nil {
		return nil, lambda.Errorf(lambda.EUNAVAILABLE, "the log store is closed")
	}
	f, err := s.function(filter.Function)
	if err != nil {
		return nil, err
	}
	r := &follower{filter: filter, wake: make(chan struct{}, 1), ended: make(chan struct{})}
	f.mu.Lock()
	if f.deleted {
		f.mu.Unlock()
		return nil, lambda.Errorf(lambda.ENOTFOUND, "the logs of %s were deleted", filter.Function)
	}
	segs := f.snapshotLocked()
	f.subs[r] = struct{}{}
	f.mu.Unlock()

	out := make(chan lambda.LogLine)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		defer func() {
			f.mu.Lock()
			delete(f.subs, r)
			f.mu.Unlock()
		}()
		send := func(l lambda.LogLine) bool {
			select {
			case out <- l:
				return true
			case <-ctx.Done():
			case <-s.ctx.Done():
			case <-r.ended:
			}
			return false
		}
		history, err := s.scan(ctx, segs, filter)
		if err != nil {
			s.Logger.Warn("cannot read the logs to follow", "function", filter.Function, "err", err)
		}
		for _, l := range history {
			if !send(l) {
				return
			}
		}
		for {
			lines, dropped := r.take()
			if dropped > 0 && !send(droppedLine(filter.Function, dropped, s)) {
				return
			}
			for _, l := range lines {
				if !send(l) {
					return
				}
			}
			r.sent(lines)
			select {
			case <-r.wake:
			case <-ctx.Done():
				return
			case <-s.ctx.Done():
				return
			case <-r.ended:
				return
			}
		}
	}()
	return out, nil
}

// droppedLine tells a follower how many lines it lost.
func droppedLine(function string, n int64, s *Store) lambda.LogLine {
	return lambda.LogLine{
		Time: s.Now(), Function: function, Stream: lambda.StreamStderr, Dropped: n,
		Message: "lambda: lines were dropped because this reader fell behind",
	}
}
