package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// follower is a running `lambda logs -f` and what it printed.
type follower struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	seen  map[string]chan struct{}
	done  chan error
}

func (s *server) followLogs(t *testing.T, args ...string) *follower {
	t.Helper()
	f := &follower{seen: map[string]chan struct{}{}, done: make(chan error, 1)}
	f.cmd = exec.Command(binary, append([]string{"--server", s.url(""), "logs", "-f"}, args...)...)
	f.cmd.Env = s.cliEnv()
	out, err := f.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	f.cmd.Stderr = &stderr
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			f.mu.Lock()
			f.lines = append(f.lines, sc.Text())
			for text, ch := range f.seen {
				if strings.Contains(sc.Text(), text) {
					close(ch)
					delete(f.seen, text)
				}
			}
			f.mu.Unlock()
		}
		f.done <- f.cmd.Wait()
	}()
	t.Cleanup(func() {
		if f.cmd.ProcessState == nil {
			_ = f.cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("lambda logs -f printed:\n%s\nstderr:\n%s", strings.Join(f.printed(), "\n"), stderr.String())
		}
	})
	return f
}

// when returns a channel closed once a printed line contains text.
func (f *follower) when(text string) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{})
	for _, l := range f.lines {
		if strings.Contains(l, text) {
			close(ch)
			return ch
		}
	}
	f.seen[text] = ch
	return ch
}

func (f *follower) printed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.lines...)
}

// logLines runs `lambda logs NAME -o json` with args.
func (s *server) logLines(t *testing.T, name string, args ...string) []lambda.LogLine {
	t.Helper()
	res := s.mustLambda(append([]string{"logs", name, "-o", "json"}, args...)...)
	var lines []lambda.LogLine
	if err := json.Unmarshal([]byte(res.stdout), &lines); err != nil {
		t.Fatalf("lambda logs -o json printed %q: %v", res.stdout, err)
	}
	return lines
}

// printedLines leaves out the platform's START, END and REPORT lines.
func printedLines(lines []lambda.LogLine) []lambda.LogLine {
	var out []lambda.LogLine
	for _, l := range lines {
		if l.Stream != lambda.StreamPlatform {
			out = append(out, l)
		}
	}
	return out
}

func containing(lines []lambda.LogLine, text string) []lambda.LogLine {
	var out []lambda.LogLine
	for _, l := range lines {
		if strings.Contains(l.Message, text) {
			out = append(out, l)
		}
	}
	return out
}

// A line a Go function prints reaches `lambda logs -f` within a second,
// with the function, version, instance and stream, and stays queryable.
func TestLogsFollowGoFunction(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("logs")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)

	f := s.followLogs(t, name)
	// The follow is live once it has printed the start line of the warm
	// instance (its history).
	select {
	case <-f.when("fixture listening"):
	case <-time.After(30 * time.Second):
		t.Fatal("lambda logs -f did not print the instance's start line within 30 s")
	}
	var lastID string // the invocation ID of the last request, as the function saw it
	for i := range 3 {
		marker := fmt.Sprintf("marker-%d-%d", i, time.Now().UnixNano())
		seen := f.when(marker)
		resp, body := s.request("GET", s.host(name), "/"+marker, nil)
		answered := time.Now()
		if resp.StatusCode != 200 {
			t.Fatalf("GET /%s: %d", marker, resp.StatusCode)
		}
		var echo struct{ Headers map[string][]string }
		if err := json.Unmarshal([]byte(body), &echo); err != nil || len(echo.Headers["X-Lambda-Request-Id"]) != 1 {
			t.Fatalf("the fixture's echo %q: %v", body, err)
		}
		lastID = echo.Headers["X-Lambda-Request-Id"][0]
		select {
		case <-seen:
			if d := time.Since(answered); d > time.Second {
				t.Errorf("the line took %s after the answer to reach lambda logs -f", d)
			}
		case <-time.After(time.Second):
			t.Fatalf("the line %q did not reach lambda logs -f within a second of the function's answer", marker)
		}
	}
	// An invocation through the control API is attributed too.
	invMarker := fmt.Sprintf("invoke-marker-%d", time.Now().UnixNano())
	var rec struct {
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(s.mustLambda("invoke", name, "--data", `{"m":"`+invMarker+`"}`, "-o", "json").stdout), &rec); err != nil || rec.RequestID == "" {
		t.Fatalf("lambda invoke -o json: %v", err)
	}
	byInvoke := waitLogs(t, s, name, invMarker)
	if l := containing(byInvoke, invMarker); len(l) != 1 || l[0].Invocation != rec.RequestID {
		t.Errorf("the line of lambda invoke %s: %+v", rec.RequestID, l)
	}

	// The follow goes on across a new version and its new instance.
	ids := s.containers(name, false) // version 1's instance
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name, "--env", "FIXTURE_TAG=v2")
	v2 := fmt.Sprintf("v2-marker-%d", time.Now().UnixNano())
	seenV2 := f.when(v2)
	if resp, _ := s.request("GET", s.host(name), "/"+v2, nil); resp.StatusCode != 200 {
		t.Fatalf("GET /%s: %d", v2, resp.StatusCode)
	}
	select {
	case <-seenV2:
	case <-time.After(time.Second):
		t.Fatal("a line of version 2 did not reach lambda logs -f within a second")
	}
	for _, l := range f.printed() {
		if strings.Contains(l, v2) && !strings.Contains(l, " v2 ") {
			t.Errorf("the new version's line %q does not say v2", l)
		}
	}

	// Ctrl-C ends the follow cleanly.
	_ = f.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-f.done:
		if err != nil {
			t.Errorf("lambda logs -f after Ctrl-C: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("lambda logs -f did not exit after Ctrl-C")
	}

	lines := s.logLines(t, name, "--tail", "50", "--version", "1")
	got := containing(lines, "marker-2-")
	if len(got) != 1 {
		t.Fatalf("lambda logs -o json shows %d lines of the last request, want 1:\n%+v", len(got), lines)
	}
	l := got[0]
	// An http instance serving one request at a time: its lines carry
	// that request's invocation ID.
	if l.Function != name || l.Version != 1 || l.Stream != lambda.StreamStderr || len(ids) != 1 || !strings.HasPrefix(l.Instance, ids[0]) ||
		time.Since(l.Time) > time.Minute || l.Invocation != lastID {
		t.Errorf("stored line %+v; want %s v1 on stderr from container %v, recent, of invocation %s", l, name, ids, lastID)
	}
	if byID := printedLines(s.logLines(t, name, "--invocation", lastID)); len(byID) != 1 || !strings.Contains(byID[0].Message, "marker-2-") {
		t.Errorf("--invocation %s: %+v; want the last request's line", lastID, byID)
	}
	if n := len(s.logLines(t, name, "--tail", "2")); n != 2 {
		t.Errorf("--tail 2 gave %d lines", n)
	}
	if n := len(containing(s.logLines(t, name, "--instance", ids[0], "--version", "1"), "GET /marker-")); n != 3 {
		t.Errorf("--instance %s --version 1 gave %d marker lines, want 3", ids[0], n)
	}
	if v2lines := s.logLines(t, name, "--version", "2"); len(containing(v2lines, v2)) != 1 || len(containing(v2lines, "marker-2-")) != 0 {
		t.Errorf("--version 2 gave %+v; want version 2's lines only", v2lines)
	}
	if n := len(s.logLines(t, name, "--version", "3")); n != 0 {
		t.Errorf("--version 3 (none deployed) gave %d lines", n)
	}
	text := s.mustLambda("logs", name, "--invocation", lastID)
	if !strings.Contains(text.stdout, " v1 "+ids[0][:12]+" "+lastID+" ") || !strings.Contains(text.stdout, "marker-2-") {
		t.Errorf("lambda logs printed %q; want TIME v1 INSTANCE INVOCATION LINE", text.stdout)
	}
	if start := s.logLines(t, name, "--tail", "1000"); len(start) == 0 || !strings.Contains(start[0].Message, "fixture listening") || start[0].Invocation != "" {
		t.Errorf("the first line %+v: want the start line, of no invocation", start)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"logs", fnName(t, "nosuch")}, "not found"},
		{[]string{"logs", name, "--since", "yesterday"}, "--since"},
		{[]string{"logs", name, "--invocation", "no-such-invocation"}, "no-such-invocation"},
	} {
		res := s.lambda(tc.args...)
		if res.code == 0 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("lambda %s: exit %d, stderr %q; want a failure naming %q", strings.Join(tc.args, " "), res.code, res.stderr, tc.want)
		}
	}
}

// Logs outlive a server restart, and the adopted instance's later lines
// are stored once, after the earlier ones.
func TestLogsSurviveRestart(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t)
	name := s.fn("logsrestart")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
	f := s.followLogs(t, name)
	s.request("GET", s.host(name), "/before-restart", nil)
	waitLogs(t, s, name, "before-restart")
	<-f.when("before-restart")

	s.restart()
	lines := s.logLines(t, name)
	if len(containing(lines, "before-restart")) != 1 {
		t.Fatalf("after a restart: %+v", lines)
	}
	s.request("GET", s.host(name), "/after-restart", nil)
	lines = waitLogs(t, s, name, "after-restart")
	for _, text := range []string{"fixture listening", "before-restart", "after-restart"} {
		if n := len(containing(lines, text)); n != 1 {
			t.Errorf("%d lines with %q, want 1", n, text)
		}
	}
	// lambda logs -f went on across the restart, printing nothing twice.
	select {
	case <-f.when("after-restart"):
	case <-time.After(10 * time.Second):
		t.Fatal("lambda logs -f did not resume after the server restarted")
	}
	for _, text := range []string{"fixture listening", "before-restart"} {
		n := 0
		for _, l := range f.printed() {
			if strings.Contains(l, text) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("lambda logs -f printed %d lines with %q, want 1", n, text)
		}
	}
}

func waitLogs(t *testing.T, s *server, name, text string) []lambda.LogLine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		lines := s.logLines(t, name)
		if len(containing(lines, text)) > 0 {
			return lines
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no line with %q within 10 s: %+v", text, lines)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// The lines of an aws function carry the ID of the invocation that
// printed them: --invocation returns exactly that invocation's lines, and
// a following client sees them within a second.
func TestLogsAttributeAWSInvocations(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	name := s.fn("logsaws")
	s.mustLambda("deploy", "testdata/aws-fn", "--name", name)
	f := s.followLogs(t, name)

	ids := map[string]string{} // request ID → marker
	for i := range 3 {
		marker := fmt.Sprintf("aws-marker-%d-%d", i, time.Now().UnixNano())
		seen := f.when(marker)
		res := s.mustLambda("invoke", name, "--data", `{"name":"`+marker+`"}`)
		answered := time.Now()
		var out struct {
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || out.RequestID == "" {
			t.Fatalf("invoke printed %q: %v", res.stdout, err)
		}
		ids[out.RequestID] = marker
		select {
		case <-seen:
		case <-time.After(time.Second):
			t.Fatalf("the line of %s did not reach lambda logs -f within a second of the answer (%s)", marker, time.Since(answered))
		}
	}
	for _, l := range f.printed() {
		for id, marker := range ids {
			if strings.Contains(l, marker) && !strings.Contains(l, " "+id+" invoked with") {
				t.Errorf("followed line %q does not name its invocation %s", l, id)
			}
		}
	}
	for id, marker := range ids {
		lines := printedLines(s.logLines(t, name, "--invocation", id))
		if len(lines) != 1 || lines[0].Invocation != id || !strings.Contains(lines[0].Message, marker) ||
			strings.ContainsAny(lines[0].Message, "\x1e\x1f") || lines[0].Stream != lambda.StreamStdout {
			t.Errorf("--invocation %s: %+v; want the one line with %s, unframed", id, lines, marker)
		}
	}
}

// A function printing 100 MB as fast as it can leaves its logs within
// the store's cap, the server's memory bounded, and another function
// answering normally meanwhile; one invocation's output is cut at 1 MB.
func TestLogsFlood(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t) // its own: the default caps, and its memory measured alone
	flood, quiet := s.fn("flood"), s.fn("quiet")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", flood, "--timeout", "2m")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", quiet)

	// One invocation printing 5 MB: its first MB is kept, then a line
	// saying the rest was dropped.
	resp, body := s.request("GET", s.host(flood), "/flood?mb=5&line=1024", nil)
	var answer struct {
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(body), &answer); resp.StatusCode != 200 || err != nil || answer.RequestID == "" {
		t.Fatalf("flood: %d %q %v", resp.StatusCode, body, err)
	}
	var cut []lambda.LogLine
	waitFor(t, 30*time.Second, func() bool {
		// The last line the function's output left, not the platform's REPORT.
		cut = printedLines(s.logLines(t, flood, "--invocation", answer.RequestID, "--tail", "4"))
		return len(cut) > 0 && cut[len(cut)-1].Truncated && strings.Contains(cut[len(cut)-1].Message, "over 1 MB")
	})
	var kept int
	for _, l := range s.logLines(t, flood, "--invocation", answer.RequestID) {
		kept += len(l.Message)
	}
	if kept > lambda.MaxInvocationLog+1024 || kept < lambda.MaxInvocationLog/2 {
		t.Errorf("the invocation kept %d bytes of its 5 MB, want about 1 MB", kept)
	}

	// 100 MB printed outside any request: the function's cap applies.
	// Its "flood done" is told from the first flood's by its time.
	sent := time.Now()
	if resp, _ := s.request("GET", s.host(flood), "/flood?mb=100&line=1024&background=1", nil); resp.StatusCode != 200 {
		t.Fatalf("background flood: %d", resp.StatusCode)
	}
	var latencies []time.Duration
	start := time.Now()
	for stored := false; !stored; {
		t0 := time.Now()
		resp, err := http.Get(s.url("/fn/" + quiet + "/ping"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		latencies = append(latencies, time.Since(t0))
		if resp.StatusCode != 200 {
			t.Errorf("the quiet function answered %d during the flood", resp.StatusCode)
		}
		if time.Since(start) > 90*time.Second {
			t.Fatalf("the flood's last line was not stored within 90 s: %+v", s.logLines(t, flood, "--tail", "2"))
		}
		time.Sleep(50 * time.Millisecond)
		lines := s.logLines(t, flood, "--tail", "1")
		stored = len(lines) == 1 && lines[0].Message == "flood done" && lines[0].Time.After(sent)
	}
	took := time.Since(start)
	slices.Sort(latencies)
	p50, worst := latencies[len(latencies)/2], latencies[len(latencies)-1]
	size := dirBytes(t, filepath.Join(s.dataDir, "logs", flood))
	rss := peakRSS(t, s.cmd.Process.Pid)
	t.Logf("100 MB flood stored in %s; its logs take %.1f MB; server peak RSS %.1f MB; quiet function: %d requests, p50 %s, worst %s",
		took.Round(time.Millisecond), float64(size)/(1<<20), float64(rss)/(1<<20), len(latencies), p50, worst)
	if size > lambda.DefaultLogMaxBytes {
		t.Errorf("the flooding function's logs take %d bytes, over the %d cap", size, lambda.DefaultLogMaxBytes)
	}
	if size < lambda.DefaultLogMaxBytes/2 {
		t.Errorf("the flooding function's logs take only %d bytes: the store kept less than it may", size)
	}
	if rss > 300<<20 {
		t.Errorf("the server's peak RSS is %d MB during the flood", rss>>20)
	}
	if p50 > 100*time.Millisecond || worst > 2*time.Second {
		t.Errorf("the quiet function slowed during the flood: p50 %s, worst %s", p50, worst)
	}
}

func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			n += info.Size()
		}
	}
	return n
}

// peakRSS is the process's high-water resident set (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// Python and Node handlers: what they print reaches `lambda logs -f`
// within a second, each line with the invocation that printed it.
func TestLogsPythonAndNode(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	for _, tc := range []struct{ base, dir, prefix string }{
		{"logspy", "testdata/python-logs", "py"},
		{"logsjs", "testdata/node-logs", "js"},
	} {
		t.Run(tc.prefix, func(t *testing.T) {
			s := *s
			s.t = t
			name := s.fn(tc.base)
			s.mustLambda("deploy", tc.dir, "--name", name)
			f := s.followLogs(t, name)
			marker := fmt.Sprintf("%s-marker-%d", tc.prefix, time.Now().UnixNano())
			seenOut, seenErr := f.when(tc.prefix+"-line "+marker), f.when(tc.prefix+"-err "+marker)
			res := s.mustLambda("invoke", name, "--data", `{"marker":"`+marker+`"}`)
			answered := time.Now()
			var out struct {
				RequestID string `json:"request_id"`
			}
			if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || out.RequestID == "" {
				t.Fatalf("invoke printed %q: %v", res.stdout, err)
			}
			for _, seen := range []<-chan struct{}{seenOut, seenErr} {
				select {
				case <-seen:
				case <-time.After(time.Second - time.Since(answered)):
					t.Fatalf("a line of %s did not reach lambda logs -f within a second of its answer", name)
				}
			}
			lines := printedLines(s.logLines(t, name, "--invocation", out.RequestID))
			streams := map[string]bool{}
			for _, l := range lines {
				if strings.Contains(l.Message, marker) {
					streams[l.Stream] = true
				}
			}
			if len(lines) != 2 || !streams[lambda.StreamStdout] || !streams[lambda.StreamStderr] {
				t.Errorf("--invocation %s: %+v; want the marker on stdout and stderr, nothing else", out.RequestID, lines)
			}
		})
	}
}
