package http

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// One request and its answer's head over a pooled upstream connection,
// in the caller's goroutine: the exchange both of the Invoker's entry
// points use, the gateway's forwarder (its head written by appendRequest)
// and direct invocations (appendInvokeRequest). Each caller then reads
// the answer's body in its own way and gives the connection back with
// upstreams.put, or closes it.

// requestBufs are the buffers a request's head is written in.
var requestBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// inlineBody is the largest body copied behind the head into one write;
// a larger one goes in a second buffer of the same writev.
const inlineBody = 16 << 10

// roundTrip sends head and body to addr and reads the answer's head; r
// is the request the answer is read for (its method). The connection's
// deadline is deadline plus timeoutSlack, and ctx's end sets it in the
// past. A connection from the pool that the instance closed while it was
// idle fails before a byte of the answer arrives: the request goes once
// more on a new one. A failed dial is a *net.OpError of Op "dial", which
// undelivered recognises, but only the first: a dial that fails after the
// request went out on a pooled connection means the instance died, maybe
// of that request, which then must not go to another instance; the
// caller gets the first connection's error, and asks the lease why.
func (u *upstreams) roundTrip(ctx context.Context, addr string, r *http.Request, head, body []byte, deadline time.Time) (*http.Response, *upstreamConn, error) {
	var sent error // the pooled connection's failure, once the request went out on it
	for fresh := false; ; fresh = true {
		c, err := u.get(ctx, addr, fresh)
		if err != nil {
			if sent != nil {
				return nil, nil, sent
			}
			return nil, nil, err
		}
		_ = c.SetDeadline(deadline.Add(timeoutSlack))
		stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
		resp, err := exchange(c, r, head, body)
		stop()
		if err == nil {
			return resp, c, nil
		}
		c.Close()
		if !c.reused || !retryable(err) || ctx.Err() != nil {
			return nil, nil, err
		}
		sent = err
	}
}

// exchange writes head and body on c and reads the answer's head.
// A large body is written by a goroutine of its own while the answer is
// read, as the Transport did: an instance may answer (and even stream)
// before it has read the body, and a write that waited for it would wait
// for its deadline. The connection's writing then says when it is done.
func exchange(c *upstreamConn, r *http.Request, head, body []byte) (*http.Response, error) {
	var err error
	switch {
	case len(body) == 0:
		_, err = c.Write(head)
	case len(body) <= inlineBody:
		_, err = c.Write(append(head, body...))
	default:
		head = append([]byte(nil), head...) // the caller's goes back to its pool
		done := make(chan error, 1)
		go func() {
			bufs := net.Buffers{head, body}
			_, err := bufs.WriteTo(c.Conn)
			done <- err
		}()
		resp, err := readHead(c, r)
		if err != nil {
			if werr := <-done; werr != nil && errors.Is(err, io.EOF) {
				err = werr // the write failed first: nothing was delivered
			}
			return nil, err
		}
		c.writing = done
		return resp, nil
	}
	if err != nil {
		// The instance may have answered, then closed, before it read
		// everything: that answer is the function's, as for the Transport.
		if resp, rerr := readHead(c, r); rerr == nil {
			resp.Close = true
			return resp, nil
		}
		return nil, err
	}
	return readHead(c, r)
}

// readHead reads the head of an answer on c; 1xx interim answers are
// skipped, as the Transport did. It fails with io.EOF when the connection
// ended before the answer's first byte.
func readHead(c *upstreamConn, r *http.Request) (*http.Response, error) {
	if _, err := c.br.Peek(1); err != nil {
		return nil, err
	}
	for {
		resp, err := http.ReadResponse(c.br, r)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			return nil, errors.New("the instance switched protocols on a request that did not ask to")
		}
		if resp.StatusCode >= 200 {
			removeHopHeaders(resp.Header)
			return resp, nil
		}
	}
}

// finishWrite waits for the body's writer of a request, if any, and
// reports whether c may serve another request: a write still running once
// the answer is complete (the instance answered without reading it all)
// ends with the connection.
func (c *upstreamConn) finishWrite() bool {
	if c.writing == nil {
		return true
	}
	var err error
	select {
	case err = <-c.writing:
	default:
		c.Close()
		<-c.writing
		err = net.ErrClosed
	}
	c.writing = nil
	return err == nil
}

// retryable reports whether err is what a kept-alive connection closed by
// the instance gives before any answer: nothing read, or a reset.
func retryable(err error) bool {
	return err == io.EOF || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
