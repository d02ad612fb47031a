package http

import (
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// The gateway reads a request's whole body before it takes an instance, so
// that a function's timeout measures the function alone: a client sending
// its body at one byte per second occupies a goroutine and a buffer until
// the read timeout, never an instance. Reading first also means a function
// that answers without reading its body never races an upload still
// arriving (it sees the request only once the body is complete), and lets
// a request that could not be delivered be sent again.

// payload is a request body held in memory while it is forwarded.
type payload struct {
	mu   sync.Mutex
	buf  *[]byte // from getBuffer; nil once released
	data []byte  // the body: a prefix of *buf
}

// payloadClasses are the capacities of pooled body buffers, one pool each,
// so that a body reuses a buffer of about its size. A body over the
// largest class gets a buffer of its own, left to the garbage collector:
// a burst of 6 MB uploads does not pin that memory in a pool.
var payloadClasses = [...]int{16 << 10, 128 << 10, 1 << 20}

var payloadPools [len(payloadClasses)]sync.Pool

// getBuffer returns an empty buffer with room for n bytes.
func getBuffer(n int) *[]byte {
	for i, c := range payloadClasses {
		if n <= c {
			if b, ok := payloadPools[i].Get().(*[]byte); ok {
				return b
			}
			b := make([]byte, 0, c)
			return &b
		}
	}
	b := make([]byte, 0, n)
	return &b
}

// putBuffer gives b back to the pool of its class; other sizes are dropped.
func putBuffer(b *[]byte) {
	for i, c := range payloadClasses {
		if cap(*b) == c {
			*b = (*b)[:0]
			payloadPools[i].Put(b)
			return
		}
	}
}

var errPayloadReleased = errors.New("request body already released")

// readPayload reads r's body, at most lambda.MaxPayloadBytes of it, within
// timeout when the connection allows a read deadline. A nil payload means
// the request has no body. The read deadline is cleared before it returns:
// net/http keeps reading the connection in the background to notice a
// client going away, and a deadline left behind would cancel a request
// whose function simply runs longer than the read timeout.
func readPayload(w http.ResponseWriter, r *http.Request, timeout time.Duration) (*payload, error) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil, nil
	}
	if r.ContentLength > lambda.MaxPayloadBytes {
		return nil, tooLarge()
	}
	defer readDeadline(w, timeout)()
	p := &payload{}
	var err error
	if r.ContentLength > 0 {
		err = p.readKnown(r.Body, int(r.ContentLength))
	} else {
		err = p.readChunked(r.Body)
	}
	if err != nil {
		p.release()
		return nil, bodyError(err, timeout)
	}
	return p, nil
}

// readDeadline sets a read deadline timeout from now on w's connection,
// when it has one, and returns the func that clears it.
func readDeadline(w http.ResponseWriter, timeout time.Duration) (clear func()) {
	if timeout <= 0 {
		return func() {}
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(timeout)) != nil {
		return func() {}
	}
	return func() { _ = rc.SetReadDeadline(time.Time{}) }
}

// readKnown reads a body of announced length n in one buffer of that size:
// no growing, no copying.
func (p *payload) readKnown(body io.Reader, n int) error {
	p.buf = getBuffer(n)
	p.data = (*p.buf)[:n]
	if _, err := io.ReadFull(body, p.data); err != nil {
		return err
	}
	// Reading to EOF tells net/http the body is done, which starts its
	// background read: a client that then goes away cancels the request.
	probe := (*p.buf)[n:cap(*p.buf)]
	if len(probe) == 0 {
		probe = make([]byte, 1)
	}
	switch m, err := body.Read(probe); {
	case err == io.EOF && m == 0:
		return nil
	case err == nil || err == io.EOF:
		return lambda.Errorf(lambda.EINVALID, "the request body is longer than its Content-Length of %d bytes", n)
	default:
		return err
	}
}

// readChunked reads a body of unknown length, growing the buffer as it
// arrives and stopping one byte past the limit.
func (p *payload) readChunked(body io.Reader) error {
	p.buf = getBuffer(0)
	b := *p.buf
	defer func() { *p.buf = b; p.data = b }()
	for {
		if len(b) == cap(b) {
			// Twice the room, up to one byte past the limit.
			bigger := getBuffer(min(2*cap(b), lambda.MaxPayloadBytes+1))
			b = append(*bigger, b...)
			putBuffer(p.buf)
			p.buf = bigger
		}
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > lambda.MaxPayloadBytes {
			return tooLarge()
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// bodyError says why a body could not be read. A client that is merely
// slow gets 408 with the limit it ran into.
func bodyError(err error, timeout time.Duration) error {
	var le *lambda.Error
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return lambda.Errorf(lambda.ECLIENTTIMEOUT, "the request body did not arrive within %s, the server's read timeout: send it at once", timeout)
	case errors.As(err, &le):
		return err
	default:
		return lambda.Errorf(lambda.EINVALID, "could not read the request body: %v", err)
	}
}

// reader returns a new reader of the whole body, one per attempt to
// deliver it.
func (p *payload) reader() io.ReadCloser { return &payloadReader{p: p} }

// release returns the buffer to the pool. The Transport may still hold a
// reader after the proxy returns (it closes request bodies in its own
// goroutine), so readers take p.mu and find the buffer gone rather than
// reading memory that another request now owns.
func (p *payload) release() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.buf != nil {
		putBuffer(p.buf)
	}
	p.buf, p.data = nil, nil
}

type payloadReader struct {
	p   *payload
	off int
}

func (r *payloadReader) Read(b []byte) (int, error) {
	r.p.mu.Lock()
	defer r.p.mu.Unlock()
	if r.p.buf == nil {
		return 0, errPayloadReleased
	}
	if r.off >= len(r.p.data) {
		return 0, io.EOF
	}
	n := copy(b, r.p.data[r.off:])
	r.off += n
	return n, nil
}

func (r *payloadReader) Close() error { return nil }
