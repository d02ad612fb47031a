package engine_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
	"github.com/lambdahq/lambda/engine"
	"github.com/lambdahq/lambda/logfile"
)

func openLogs(t *testing.T, dir string) *logfile.Store {
	t.Helper()
	s := logfile.New(dir)
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func linesWith(t *testing.T, logs lambda.LogStore, fn, text string) []lambda.LogLine {
	t.Helper()
	all, err := logs.Query(context.Background(), lambda.LogFilter{Function: fn})
	if err != nil {
		t.Fatal(err)
	}
	var out []lambda.LogLine
	for _, l := range all {
		if strings.Contains(l.Message, text) {
			out = append(out, l)
		}
	}
	return out
}

// The engine follows each instance's output into the log store, and
// after a restart follows the adopted instance from where it stopped.
func TestInstanceOutputReachesLogStore(t *testing.T) {
	dir := t.TempDir()
	logs := openLogs(t, filepath.Join(dir, "logs"))
	driver := drivertest.NewFake()
	db := filepath.Join(dir, "lambda.db")
	e := newEnvWithSetup(t, driver, db, func(e *env) { e.eng.Logs = logs })
	e.mustDeploy(t, "talker", lambda.Config{})
	e.call(t, "talker")
	running := e.running(t, "talker")
	if len(running) != 1 {
		t.Fatalf("%d instances, want 1", len(running))
	}
	id := running[0].ID

	var got []lambda.LogLine
	eventually(t, "the request line in the log store", func() bool {
		got = linesWith(t, logs, "talker", "request GET /")
		return len(got) == 1
	})
	if l := got[0]; l.Function != "talker" || l.Version != 1 || l.Instance != id || l.Stream != lambda.StreamStdout || l.Time.IsZero() {
		t.Errorf("stored line %+v; want talker v1 on instance %s, stdout, with a time", l, id)
	}
	if n := len(linesWith(t, logs, "talker", drivertest.StartLine)); n != 1 {
		t.Errorf("%d start lines, want the container's first line once", n)
	}

	// A restarted engine adopts the instance and goes on without storing
	// a line twice.
	if err := e.eng.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	e2 := newEnvWithSetup(t, driver, db, func(e *env) { e.eng.Logs = logs })
	eventually(t, "the instance adopted", func() bool { return e2.eng.Live(id) })
	resp, err := http.Get("http://" + running[0].Addr + "/again")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	eventually(t, "the line printed after the restart", func() bool { return len(linesWith(t, logs, "talker", "request GET /again")) == 1 })
	if n := len(linesWith(t, logs, "talker", drivertest.StartLine)); n != 1 {
		t.Errorf("%d start lines after the restart, want 1", n)
	}
}

func TestUnframe(t *testing.T) {
	for _, tc := range []struct{ in, inv, msg string }{
		{"plain", "", "plain"},
		{"\x1eabc-1\x1fhello", "abc-1", "hello"},
		{"\x1e\x1fbetween invocations", "", "between invocations"},
		{"\x1eabc-1\x1f\x1eforged\x1fhi", "abc-1", "\x1eforged\x1fhi"},
		{"\x1eno end", "", "\x1eno end"},
		{"\x1e" + strings.Repeat("x", 200) + "\x1fa", "", "\x1e" + strings.Repeat("x", 200) + "\x1fa"},
	} {
		l := lambda.LogLine{Message: tc.in}
		engine.Unframe(&l)
		if l.Invocation != tc.inv || l.Message != tc.msg {
			t.Errorf("unframe(%q) = %q, %q; want %q, %q", tc.in, l.Invocation, l.Message, tc.inv, tc.msg)
		}
	}
}

// An http instance serving one request at a time gets that request's
// invocation ID and trace ID on the lines it prints meanwhile.
func TestHTTPOutputAttributedWhileAlone(t *testing.T) {
	dir := t.TempDir()
	logs := openLogs(t, filepath.Join(dir, "logs"))
	e := newEnvWithSetup(t, drivertest.NewFake(), filepath.Join(dir, "lambda.db"), func(e *env) { e.eng.Logs = logs })
	e.mustDeploy(t, "solo", lambda.Config{})
	for _, id := range []string{"inv-a", "inv-b"} {
		lease, err := e.eng.Acquire(lambda.WithInvocation(context.Background(), &lambda.Invocation{ID: id, TraceID: "trace-" + id}), "solo")
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get("http://" + lease.Addr + "/" + id)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		lease.Release(false)
	}
	for _, id := range []string{"inv-a", "inv-b"} {
		var got []lambda.LogLine
		eventually(t, "the line of "+id, func() bool {
			got = linesWith(t, logs, "solo", "request GET /"+id)
			return len(got) == 1
		})
		if got[0].Invocation != id || got[0].TraceID != "trace-"+id {
			t.Errorf("the line printed during %s has invocation %q, trace %q", id, got[0].Invocation, got[0].TraceID)
		}
	}
	if start := linesWith(t, logs, "solo", drivertest.StartLine); len(start) != 1 || start[0].Invocation != "" {
		t.Errorf("the start line: %+v; want no invocation", start)
	}
}

func TestDeleteRemovesLogs(t *testing.T) {
	dir := t.TempDir()
	logs := openLogs(t, filepath.Join(dir, "logs"))
	e := newEnvWithSetup(t, drivertest.NewFake(), filepath.Join(dir, "lambda.db"), func(e *env) { e.eng.Logs = logs })
	e.mustDeploy(t, "gone", lambda.Config{})
	eventually(t, "the start line stored", func() bool { return len(linesWith(t, logs, "gone", drivertest.StartLine)) == 1 })
	if err := e.eng.Delete(context.Background(), "gone"); err != nil {
		t.Fatal(err)
	}
	e.mustDeploy(t, "gone", lambda.Config{})
	eventually(t, "the new function's start line", func() bool { return len(linesWith(t, logs, "gone", drivertest.StartLine)) >= 1 })
	if got := linesWith(t, logs, "gone", drivertest.StartLine); len(got) != 1 {
		t.Errorf("%d start lines after delete and deploy, want the new function's only", len(got))
	}
}
