package http

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// frontExchange writes raw to a new connection to the front and returns
// everything the server sent until it closed the connection or wait
// passed.
func frontExchange(t *testing.T, addr, raw string, wait time.Duration) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	all, _ := io.ReadAll(conn)
	return string(all)
}

// TestFrontRefusesSignedContentLength: Content-Length is digits only. The
// front took "+5" and "-0" (strconv.ParseInt), which net/http refuses: a
// proxy in front reading the head as net/http does would frame the next
// request differently (request smuggling).
func TestFrontRefusesSignedContentLength(t *testing.T) {
	s, _ := newTestServer(t, echoBackend())
	addr := openFront(t, s)
	for _, cl := range []string{"+5", "-0", " +5"} {
		got := frontExchange(t, addr, "POST /fn/greet/a HTTP/1.1\r\nHost: localhost\r\nContent-Length: "+cl+"\r\n\r\n"+
			"helloGET /fn/greet/smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n", 10*time.Second)
		if !strings.HasPrefix(got, "HTTP/1.1 400 ") || strings.Contains(got, "smuggled") {
			t.Errorf("Content-Length %q: %q, want one 400", cl, got)
		}
	}
}

// TestFrontMalformedTrailer: a chunked body's trailer section ends with a
// blank line only. The front ended it at any line of two bytes ("a\n")
// and served what followed as a second request.
func TestFrontMalformedTrailer(t *testing.T) {
	s, _ := newTestServer(t, echoBackend())
	addr := openFront(t, s)
	for _, trailer := range []string{"a\n", "a\r\n", "X T: 1\r\n", ":\r\n"} {
		got := frontExchange(t, addr, "POST /fn/greet/a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"+
			"5\r\nhello\r\n0\r\n"+trailer+"GET /fn/greet/smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n\r\n", 10*time.Second)
		if strings.Contains(got, "smuggled") || strings.Contains(got, "HTTP/1.1 200 ") {
			t.Errorf("trailer %q: %q, want the body refused and nothing served after it", trailer, got)
		}
	}
	// A well-formed trailer still ends the body, and the connection serves on.
	got := frontExchange(t, addr, "POST /fn/greet/a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"+
		"5\r\nhello\r\n0\r\nX-T: 1\r\n\r\nGET /fn/greet/second HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 10*time.Second)
	if !strings.Contains(got, `"body":"hello"`) || !strings.Contains(got, `"path":"/second"`) {
		t.Errorf("a valid trailer: %q", got)
	}
}

// TestFrontBareLF: a head whose lines end in a bare LF, which net/http
// reads, is served at once. The front waited for "\r\n\r\n" until the
// header timeout before it handed the connection over.
func TestFrontBareLF(t *testing.T) {
	s, _ := newTestServer(t, echoBackend())
	s.ReadHeaderTimeout = time.Minute // what the client would wait before the fix
	addr := openFront(t, s)
	for _, head := range []string{
		"GET /fn/greet/lf HTTP/1.1\nHost: localhost\nConnection: close\n\n",
		"GET /fn/greet/lf HTTP/1.1\r\nHost: localhost\r\nConnection: close\n\r\n",
	} {
		got := frontExchange(t, addr, head, 20*time.Second)
		if !strings.HasPrefix(got, "HTTP/1.1 200 ") || !strings.Contains(got, `"path":"/lf"`) {
			t.Errorf("%q: %q, want a 200 before the header timeout", head, got)
		}
	}
}

// emfileListener fails its first Accepts as a process out of file
// descriptors does.
type emfileListener struct {
	net.Listener
	fail atomic.Int32
}

func (l *emfileListener) Accept() (net.Conn, error) {
	if l.fail.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestFrontAcceptsAfterEMFILE: running out of file descriptors (a flood
// of connections) is passing: the front accepts again, as net/http's
// Serve does. Its accept loop returned on the first such error, and the
// server accepted no connection any more until restarted.
func TestFrontAcceptsAfterEMFILE(t *testing.T) {
	s, _ := newTestServer(t, echoBackend())
	s.Handler()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	el := &emfileListener{Listener: ln}
	el.fail.Store(3)
	f := newFront(s, el)
	t.Cleanup(func() { f.close(context.Background()) })
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Get("http://" + ln.Addr().String() + "/fn/greet/after")
	if err != nil {
		t.Fatalf("no answer after the accept errors: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"path":"/after"`) {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
}

// TestFrontHeaderTimeoutEndsTheConnection: a head that does not arrive
// within ReadHeaderTimeout ends the connection. The front handed it to
// net/http, whose own header timeout started then: a head completed after
// the front's deadline was still served (a slowloris held a connection
// twice as long).
func TestFrontHeaderTimeoutEndsTheConnection(t *testing.T) {
	s, _ := newTestServer(t, echoBackend())
	s.ReadHeaderTimeout = 2 * time.Second
	addr := openFront(t, s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET /fn/greet/slow HTTP/1.1\r\nHost: local")
	// Past the front's deadline, well before the end of a second one.
	time.Sleep(3 * time.Second)
	_, _ = io.WriteString(conn, "host\r\nConnection: close\r\n\r\n")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	all, _ := io.ReadAll(conn)
	if strings.Contains(string(all), "HTTP/1.1 200") {
		t.Errorf("a head completed after the header timeout was served: %q", all)
	}
}
