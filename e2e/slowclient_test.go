package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSlowClients: the function's timeout measures the function alone
// (issue 7, defect 2). Clients sending their bodies slower than the
// function's timeout get their answer, clients slower than the server's
// read timeout get 408, and meanwhile normal requests keep answering 200
// and no instance is replaced (before, each slow client got a 504 and its
// instance was killed).
func TestSlowClients(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t, "LAMBDA_READ_TIMEOUT=4s") // its own: a short read timeout
	name := s.fn("slowclient")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name, "--timeout", "1s")
	if resp, body := s.request("POST", s.host(name), "/", []byte("warm")); resp.StatusCode != 200 {
		t.Fatalf("warm-up: %d %s", resp.StatusCode, body)
	}
	before := runningInstances(t, s, name)

	const slow, stalled = 150, 50 // 200 clients, as in the report
	// 20 bytes at one per 100 ms: 2 s, twice the function's timeout.
	const body = "0123456789abcdefghij"
	var wg sync.WaitGroup
	for i := range slow + stalled {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i < slow {
				status, answer := slowRequest(t, s, name, body, len(body), 100*time.Millisecond)
				if status != 200 || decodeEcho(t, answer).Body != body {
					t.Errorf("slow client: %d %s", status, answer)
				}
				return
			}
			// Sends 3 bytes of 100, then nothing: the read timeout ends it.
			status, answer := slowRequest(t, s, name, "abc", 100, 0)
			if status != 408 || !strings.Contains(answer, `"client_timeout"`) {
				t.Errorf("stalled client: %d %s", status, answer)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	normal := 0
	pace := time.NewTicker(20 * time.Millisecond) // a steady trickle, not a flood of the 2 cores
	defer pace.Stop()
	for waiting := true; waiting; normal++ {
		select {
		case <-done:
			waiting = false
		case <-pace.C:
		}
		if resp, answer := s.request("POST", s.host(name), "/", []byte("normal")); resp.StatusCode != 200 {
			t.Errorf("normal request during the slow ones: %d %s", resp.StatusCode, answer)
		}
	}
	t.Logf("%d normal requests answered while %d slow and %d stalled clients sent", normal, slow, stalled)
	after := runningInstances(t, s, name)
	for id := range before {
		if !after[id] {
			t.Errorf("instance %s was replaced (before %v, after %v)", id, before, after)
		}
	}
	s.mustLambda("delete", name)
}

// slowRequest POSTs body to function name announcing length bytes,
// writing a byte every pace (all at once when pace is 0), and returns the
// answer.
func slowRequest(t *testing.T, s *server, name, body string, length int, pace time.Duration) (int, string) {
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(time.Minute)) // catches "never"
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", s.host(name), length)
	go func() {
		if pace == 0 {
			_, _ = io.WriteString(conn, body)
			return
		}
		for i := range len(body) {
			time.Sleep(pace) // the client's pace, the subject of the test
			if _, err := io.WriteString(conn, body[i:i+1]); err != nil {
				return
			}
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Errorf("no answer: %v", err)
		return 0, ""
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
