package shim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Buffers for bodies and events, reused across requests. Big ones are left
// to the garbage collector so one 6 MB payload does not pin memory.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBuffer = 1 << 20

func getBuffer() *bytes.Buffer {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBuffer(b *bytes.Buffer) {
	if b != nil && b.Cap() <= maxPooledBuffer {
		bufPool.Put(b)
	}
}

var errTooLarge = fmt.Errorf("body is over the %d MB limit", maxPayload>>20)

// readBody appends r to buf, failing with errTooLarge past maxPayload
// bytes: it never reads more than maxPayload+1.
func readBody(buf *bytes.Buffer, r io.Reader, contentLength int64) error {
	if contentLength > maxPayload {
		return errTooLarge
	}
	if contentLength > 0 {
		buf.Grow(int(contentLength))
	}
	if r == nil {
		return nil
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, maxPayload+1)); err != nil {
		return err
	}
	if buf.Len() > maxPayload {
		return errTooLarge
	}
	return nil
}

// isTooLarge reports errTooLarge.
func isTooLarge(err error) bool { return errors.Is(err, errTooLarge) }
