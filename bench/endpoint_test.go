package bench

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// writeCounter counts the writes on a client connection.
type writeCounter struct {
	net.Conn
	writes *atomic.Int64
}

func (c writeCounter) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// A POST of the load generator goes out in one write, as a real client's
// small request does: with a body type net/http does not know to be in
// memory, the transport flushed the headers first, and every submission
// of the async rounds cost the bench and the server a system call more
// than a request of the synchronous rounds (a GET).
func TestPostIsOneWrite(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(string(b))
	}))
	defer srv.Close()
	var writes atomic.Int64
	tr := NewTransport(1)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return writeCounter{Conn: c, writes: &writes}, nil
	}
	defer tr.CloseIdleConnections()
	e := Endpoint{URL: srv.URL + "/", Body: []byte(`{"n":1}`)}
	req, err := e.newRequest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		before := writes.Load()
		resp, err := tr.RoundTrip(req.prepare())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n := writes.Load() - before; n != 1 {
			t.Errorf("request %d went out in %d writes, want 1", i, n)
		}
		if b, _ := got.Load().(string); b != `{"n":1}` {
			t.Errorf("request %d: the server read body %q, want the whole body again", i, b)
		}
	}
}
