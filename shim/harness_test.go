package shim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// shimRun is a shim running in-process with the test binary as its
// function process.
type shimRun struct {
	t       testing.TB
	cfg     *config
	url     string
	signals chan os.Signal
	stdout  *syncBuffer
	stderr  *syncBuffer
	status  chan int
}

// startShim runs the shim for protocol; env is added to the container's
// environment (SHIM_TEST_* choose the fake's behaviour).
func startShim(t testing.TB, protocol string, env ...string) *shimRun {
	t.Helper()
	return startShimWith(t, protocol, nil, env...)
}

// startShimWith is startShim with edit applied to the configuration
// before the shim runs.
func startShimWith(t testing.TB, protocol string, edit func(*config), env ...string) *shimRun {
	t.Helper()
	role := "runtime"
	if protocol == protoStdio {
		role = "stdio"
	}
	environ := append(os.Environ(), "SHIM_TEST_ROLE="+role, "GORACE=atexit_sleep_ms=0",
		"LAMBDA_FUNCTION_NAME=greet", "LAMBDA_FUNCTION_VERSION=3", "LAMBDA_FUNCTION_MEMORY_MB=128", "LAMBDA_HANDLER=handler.handler")
	environ = append(environ, env...)
	addr := heldPorts.hold(t)
	s := &shimRun{
		t:       t,
		url:     "http://" + addr,
		signals: make(chan os.Signal, 1),
		stdout:  &syncBuffer{},
		stderr:  &syncBuffer{},
		status:  make(chan int, 1),
	}
	s.cfg = &config{
		protocol:        protocol,
		addr:            addr,
		runtimeAPI:      "127.0.0.1:0",
		maxConcurrency:  4,
		shutdownTimeout: 3 * time.Second,
		timeout:         10 * time.Second,
		command:         []string{os.Args[0]},
		environ:         environ,
		fn:              functionFromEnv(environ),
		stdout:          s.stdout,
		stderr:          s.stderr,
		signals:         s.signals,
		listen:          heldPorts.listen,
	}
	if ms, ok := lookupEnv(environ, "LAMBDA_FUNCTION_TIMEOUT_MS"); ok {
		n, _ := strconv.Atoi(ms)
		s.cfg.timeout = time.Duration(n) * time.Millisecond
	}
	if edit != nil {
		edit(s.cfg)
	}
	go func() { s.status <- run(s.cfg) }()
	t.Cleanup(func() {
		select {
		case s.signals <- syscall.SIGTERM:
		default:
		}
		select {
		case <-s.status:
		case <-time.After(15 * time.Second):
			t.Errorf("the shim did not stop after SIGTERM; its logs:\n%s", s.stderr)
		}
	})
	return s
}

// waitReady waits until the shim accepts connections.
func (s *shimRun) waitReady() {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://")); err == nil {
			c.Close()
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.t.Fatalf("the shim is not listening after 10s; its logs:\n%s", s.stderr)
}

// exitStatus waits for the shim to end by itself.
func (s *shimRun) exitStatus() int {
	s.t.Helper()
	select {
	case st := <-s.status:
		s.status <- st // for the cleanup
		return st
	case <-time.After(15 * time.Second):
		s.t.Fatalf("the shim did not exit; its logs:\n%s", s.stderr)
		return -1
	}
}

// do sends a request to the shim.
func (s *shimRun) do(method, path, body string, header ...string) *response {
	s.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v; shim logs:\n%s", method, path, err, s.stderr)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &response{t: s.t, status: resp.StatusCode, header: resp.Header, body: b}
}

type response struct {
	t      testing.TB
	status int
	header http.Header
	body   []byte
}

// json decodes the body, failing the test when it is not JSON.
func (r *response) json() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		r.t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

func (r *response) expect(status int) *response {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

// path digs into decoded JSON: path(m, "a", "b") is m["a"]["b"].
func path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// heldPorts are the ports of shims run in-process: held from the moment
// a test picks one until the shim listens on it. A port picked by
// listening and closing could be taken by another test process's server
// before the shim listens, and the test would talk to that server.
var heldPorts = &portHolds{byAddr: map[string]int{}}

// portHolds are sockets bound to a loopback port but not listening:
// the port is taken (no SO_REUSEADDR), yet a dial is refused until the
// shim listens, as it would be on a port of its own.
type portHolds struct {
	mu     sync.Mutex
	byAddr map[string]int // socket by address
}

// hold binds a socket to a free loopback port and returns its address;
// the socket is closed with the test if the shim never listened on it.
func (h *portHolds) hold(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)
	h.mu.Lock()
	h.byAddr[addr] = fd
	h.mu.Unlock()
	t.Cleanup(func() {
		if fd, ok := h.take(addr); ok {
			syscall.Close(fd)
		}
	})
	return addr
}

func (h *portHolds) take(addr string) (int, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fd, ok := h.byAddr[addr]
	delete(h.byAddr, addr)
	return fd, ok
}

// listen is the shim's config.listen: a held address's socket starts
// listening; any other address is net.Listen's.
func (h *portHolds) listen(addr string) (net.Listener, error) {
	fd, ok := h.take(addr)
	if !ok {
		return net.Listen("tcp", addr)
	}
	if err := syscall.Listen(fd, syscall.SOMAXCONN); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), addr)
	defer f.Close() // FileListener holds a duplicate
	return net.FileListener(f)
}

// freePort picks a port for a shim run as its own process (TestMainProcess),
// which cannot take over a held socket.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func deadlineIn(d time.Duration) string {
	return strconv.FormatInt(time.Now().Add(d).UnixMilli(), 10)
}

// syncBuffer is a bytes.Buffer safe for the shim's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
