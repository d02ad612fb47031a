package shim

import (
	"bytes"
	"io"
	"os"
	"sync"
	"syscall"
)

// ring keeps the last tailBytes written to it since its last reset.
type ring struct {
	mu      sync.Mutex
	buf     [tailBytes]byte
	written int
}

func (r *ring) Write(p []byte) (int, error) {
	n := len(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(p) > len(r.buf) {
		r.written += len(p) - len(r.buf)
		p = p[len(p)-len(r.buf):]
	}
	for len(p) > 0 {
		c := copy(r.buf[r.written%len(r.buf):], p)
		p = p[c:]
		r.written += c
	}
	return n, nil
}

func (r *ring) reset() {
	r.mu.Lock()
	r.written = 0
	r.mu.Unlock()
}

// bytes returns a copy of what the ring holds, oldest first.
func (r *ring) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.written <= len(r.buf) {
		return append([]byte(nil), r.buf[:r.written]...)
	}
	i := r.written % len(r.buf)
	out := make([]byte, 0, len(r.buf))
	out = append(out, r.buf[i:]...)
	return append(out, r.buf[:i]...)
}

// output copies one output stream of the function process to the shim's
// own (Docker keeps it as the container's logs) and into a tail.
//
// The tail of an invocation must include everything the process wrote
// before it answered, but the copy runs behind the process. drain closes
// that gap: it reads whatever the pipe holds at once, without blocking,
// under the same lock as the copier, so the order of output is kept.
type output struct {
	mu   sync.Mutex
	r    *os.File
	rc   syscall.RawConn
	dst  io.Writer
	tail *ring
	buf  []byte
	done chan struct{}
	// Framing (frameLines): the invocation the lines are printed for,
	// whether the next byte starts a line, and the framed copy.
	id      string
	atStart bool
	framed  []byte
}

// newOutput returns the output and the pipe end to give the process.
func newOutput(dst io.Writer, tail *ring) (*output, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	rc, err := r.SyscallConn()
	if err != nil {
		r.Close()
		w.Close()
		return nil, nil, err
	}
	o := &output{r: r, rc: rc, dst: dst, tail: tail, buf: make([]byte, 32<<10), done: make(chan struct{}), atStart: true}
	go o.copy()
	return o, w, nil
}

// copy runs until every writer has closed the pipe.
func (o *output) copy() {
	defer close(o.done)
	for {
		eof := false
		err := o.rc.Read(func(fd uintptr) bool {
			o.mu.Lock()
			defer o.mu.Unlock()
			for {
				n, err := syscall.Read(int(fd), o.buf)
				switch {
				case err == syscall.EINTR:
					continue
				case err == syscall.EAGAIN:
					return false // wait until readable
				case n > 0:
					o.emit(o.buf[:n])
				default:
					eof = true
				}
				return true
			}
		})
		if err != nil || eof {
			o.mu.Lock()
			o.r.Close()
			o.mu.Unlock()
			return
		}
	}
}

// drain copies what the pipe holds now.
func (o *output) drain() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.drainLocked()
}

func (o *output) drainLocked() {
	_ = o.rc.Control(func(fd uintptr) {
		for {
			n, err := syscall.Read(int(fd), o.buf)
			if err == syscall.EINTR {
				continue
			}
			if n <= 0 || err != nil {
				return
			}
			o.emit(o.buf[:n])
		}
	})
}

func (o *output) emit(p []byte) {
	o.framed = frameLines(o.framed[:0], p, o.id, &o.atStart)
	_, _ = o.dst.Write(o.framed)
	_, _ = o.tail.Write(p)
}

// Frames of the function's output lines: the platform reads the
// invocation ID of each line from them and removes them (lambda.Unframe
// in the root package, which this package cannot import). Every line the
// shim copies gets one, so a function printing a frame of its own cannot
// claim another invocation: the shim's comes first.
const (
	frameStart = '\x1e'
	frameEnd   = '\x1f'
)

// frameLines appends p to dst with a frame naming id before each line
// that starts in p; atStart carries whether p starts a line.
func frameLines(dst, p []byte, id string, atStart *bool) []byte {
	for len(p) > 0 {
		if *atStart {
			dst = append(dst, frameStart)
			dst = append(dst, id...)
			dst = append(dst, frameEnd)
			*atStart = false
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			return append(dst, p...)
		}
		dst = append(dst, p[:i+1]...)
		p = p[i+1:]
		*atStart = true
	}
	return dst
}

// lineFramer frames the lines written to it for one invocation and
// writes each whole line at once, so that the lines of runs in parallel
// (stdio) never mix. A line longer than its buffer is split.
type lineFramer struct {
	dst     io.Writer
	id      string
	pending []byte
}

const maxPendingLine = 64 << 10

func (f *lineFramer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			room := maxPendingLine - len(f.pending)
			if len(p) < room {
				f.pending = append(f.pending, p...)
				return n, nil
			}
			f.pending = append(f.pending, p[:room]...)
			p = p[room:]
			f.pending = append(f.pending, '\n')
		} else {
			f.pending = append(f.pending, p[:i+1]...)
			p = p[i+1:]
		}
		f.flushLine()
	}
	return n, nil
}

// Close writes a last line left without a newline.
func (f *lineFramer) Close() error {
	if len(f.pending) > 0 {
		f.pending = append(f.pending, '\n')
		f.flushLine()
	}
	return nil
}

func (f *lineFramer) flushLine() {
	line := make([]byte, 0, len(f.pending)+len(f.id)+2)
	atStart := true
	line = frameLines(line, f.pending, f.id, &atStart)
	_, _ = f.dst.Write(line)
	f.pending = f.pending[:0]
}

// logs are the function process's stdout and stderr, with one tail.
type logs struct {
	tail           ring
	stdout, stderr *output
}

// start makes the pipes; the caller gives the returned ends to the process
// and closes them once it started.
func (l *logs) start(stdout, stderr io.Writer) (outW, errW *os.File, err error) {
	if l.stdout, outW, err = newOutput(stdout, &l.tail); err != nil {
		return nil, nil, err
	}
	if l.stderr, errW, err = newOutput(stderr, &l.tail); err != nil {
		outW.Close()
		return nil, nil, err
	}
	return outW, errW, nil
}

// setInvocation frames the lines the process prints from now on with id
// ("" between invocations). What the process wrote before, still in the
// pipes, is copied first under the old one.
func (l *logs) setInvocation(id string) {
	for _, o := range []*output{l.stdout, l.stderr} {
		if o == nil {
			continue
		}
		o.mu.Lock()
		o.drainLocked()
		o.id = id
		o.mu.Unlock()
	}
}

// endInvocation stops framing lines with id, unless another invocation
// began meanwhile.
func (l *logs) endInvocation(id string) {
	for _, o := range []*output{l.stdout, l.stderr} {
		if o == nil {
			continue
		}
		o.mu.Lock()
		o.drainLocked()
		if o.id == id {
			o.id = ""
		}
		o.mu.Unlock()
	}
}

// snapshot returns the tail, with all the process wrote so far.
func (l *logs) snapshot() []byte {
	l.stdout.drain()
	l.stderr.drain()
	return l.tail.bytes()
}
