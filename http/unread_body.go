package http

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// unreadBodyWait bounds how long net/http may read, after the handler,
// what a request left of its body: a client that sent it reads its answer
// at once, one that never will gets it with the connection closed.
const unreadBodyWait = time.Second

// boundUnreadBody bounds net/http's read of the body a handler left
// unread. After such a handler (a request refused for want of a key, an
// unknown route, a method the route does not take) net/http reads up to
// 256 KB of the rest before it writes the answer, so that the connection
// can serve the next request, and the server has no ReadTimeout (deploy
// uploads): a client that announced a body and never sent it held the
// connection and its goroutines, unanswered, for good, before any key was
// checked. The front (front.go) reads only what is already buffered.
func boundUnreadBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		orig, body := r.Body, &eofBody{ReadCloser: r.Body}
		r.Body = body
		h.ServeHTTP(w, r)
		// r is net/http's own request: after the handler it checks that
		// r.Body is still its body type to learn the client may be
		// sending the rest, and then half-closes and waits before it
		// closes. With the wrapper left in place it closed at once, and
		// the reset reached a client still writing before its answer
		// did (TestHandedConnectionLingersAfterUnreadBody).
		r.Body = orig
		// Only for a body not read to its end: once it is, net/http reads
		// the connection in the background (a client going away), which a
		// deadline would end as if the client had.
		if !body.eof.Load() {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(unreadBodyWait))
		}
	})
}

// eofBody records that a request body was read to its end; the handler
// may read it from another goroutine (the gateway's transport).
type eofBody struct {
	io.ReadCloser
	eof atomic.Bool
}

func (b *eofBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof.Store(true)
	}
	return n, err
}
