package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Hostile users and functions against the log store: what a deleted
// function printed last, clients that follow and never read, reads of a
// store of long lines.

// A function deleted while it prints: the lines its collector reads after
// the deletion neither bring its logs back on disk nor show up in the
// logs of a new function of the same name (possibly another tenant's).
func TestHostileLogsOfADeletedFunctionStayDeleted(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("hlogdel")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
	// 20 MB printed after the answer: the delete stops the container while
	// Docker still hands its output to the collector.
	if resp, _ := s.request("GET", s.host(name), "/flood?mb=20&line=100&background=1", nil); resp.StatusCode != 200 {
		t.Fatalf("flood: %d", resp.StatusCode)
	}
	time.Sleep(500 * time.Millisecond)
	s.mustLambda("delete", name)
	dir := filepath.Join(s.dataDir, "logs", name)
	time.Sleep(3 * time.Second) // the collector's last batches
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the deleted function's logs are back on disk (%d bytes): %v", dirBytes(t, dir), err)
	}
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
	lines := waitLogs(t, s, name, "fixture listening")
	if old := containing(lines, "fff"); len(old) > 0 {
		t.Errorf("a new function of the name lists %d lines of the deleted one", len(old))
	}
}

// followRaw opens n follows of name's logs that never read what the
// server sends, as a hostile client (or a stuck terminal) does.
func followRaw(t *testing.T, s *server, name string, n int) {
	t.Helper()
	for range n {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4096)
		}
		fmt.Fprintf(c, "GET /v1/functions/%s/logs?follow=1&tail=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n", name, s.apiKey)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("follow: %v %v", resp, err)
		}
	}
}

// Clients that follow a flooding function's logs and never read hold the
// server's memory to a bound: a flood of one-character lines queued 4 M
// lines of ~150 bytes each behind one of them (560 MB measured with one
// follower and 10 MB printed).
func TestHostileLogsStalledFollowersOfTinyLines(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t) // its own: its memory measured alone
	name := s.fn("hlogstall")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
	waitLogs(t, s, name, "fixture listening")
	followRaw(t, s, name, 3)
	if resp, _ := s.request("GET", s.host(name), "/flood?mb=4&line=2&background=1", nil); resp.StatusCode != 200 {
		t.Fatalf("flood: %d", resp.StatusCode)
	}
	waitFor(t, 120*time.Second, func() bool {
		lines := s.logLines(t, name, "--tail", "1")
		return len(lines) == 1 && lines[0].Message == "flood done"
	})
	rss := peakRSS(t, s.cmd.Process.Pid)
	t.Logf("4 MB of one-character lines, 3 followers that never read: server peak RSS %.1f MB", float64(rss)/(1<<20))
	if rss > 150<<20 {
		t.Errorf("the server's peak RSS is %d MB", rss>>20)
	}
}

// Reads of a store full of long lines hold a bounded amount each: 20
// reads at once of a function's 50 MB of 250 KB lines took the server
// from 30 MB to 2.9 GB.
func TestHostileLogsConcurrentReadsOfLongLines(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t)
	name := s.fn("hlogread")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
	if resp, _ := s.request("GET", s.host(name), "/flood?mb=40&line=250000&background=1", nil); resp.StatusCode != 200 {
		t.Fatalf("flood: %d", resp.StatusCode)
	}
	waitFor(t, 120*time.Second, func() bool {
		lines := s.logLines(t, name, "--tail", "1")
		return len(lines) == 1 && lines[0].Message == "flood done"
	})
	before := peakRSS(t, s.cmd.Process.Pid)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body := s.request("GET", "", "/v1/functions/"+name+"/logs", nil)
			if resp.StatusCode != 200 || !strings.Contains(body, "flood done") {
				t.Errorf("read: %d, %d bytes", resp.StatusCode, len(body))
			}
		}()
	}
	wg.Wait()
	rss := peakRSS(t, s.cmd.Process.Pid)
	t.Logf("20 reads at once of %.1f MB of 250 KB lines: server peak RSS %.1f MB (%.1f MB before)",
		float64(dirBytes(t, filepath.Join(s.dataDir, "logs", name)))/(1<<20), float64(rss)/(1<<20), float64(before)/(1<<20))
	if rss > 600<<20 {
		t.Errorf("the server's peak RSS is %d MB after 20 reads", rss>>20)
	}
}

// `lambda logs -f` prints the platform's START, END and REPORT lines of
// each invocation. They are stored after the lines the function printed
// for the invocation, with earlier times (START at its arrival): a follow
// that skipped every line older than the last printed dropped them all.
func TestHostileLogsFollowPrintsPlatformLines(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("hlogplat")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
	f := s.followLogs(t, name)
	var ids []string
	for i := range 3 {
		resp, body := s.request("GET", s.host(name), fmt.Sprintf("/platform-%d", i), nil)
		var echo struct {
			Headers map[string][]string `json:"headers"`
		}
		if err := json.Unmarshal([]byte(body), &echo); resp.StatusCode != 200 || err != nil || len(echo.Headers["X-Lambda-Request-Id"]) != 1 {
			t.Fatalf("request: %d %q %v", resp.StatusCode, body, err)
		}
		ids = append(ids, echo.Headers["X-Lambda-Request-Id"][0])
	}
	for _, id := range ids {
		for _, prefix := range []string{"START RequestId: ", "END RequestId: ", "REPORT RequestId: "} {
			select {
			case <-f.when(prefix + id):
			case <-time.After(15 * time.Second):
				t.Fatalf("lambda logs -f did not print %q", prefix+id)
			}
		}
	}
}
