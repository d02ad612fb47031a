package shim

import (
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
	o := &output{r: r, rc: rc, dst: dst, tail: tail, buf: make([]byte, 32<<10), done: make(chan struct{})}
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
	_, _ = o.dst.Write(p)
	_, _ = o.tail.Write(p)
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

// snapshot returns the tail, with all the process wrote so far.
func (l *logs) snapshot() []byte {
	l.stdout.drain()
	l.stderr.drain()
	return l.tail.bytes()
}
