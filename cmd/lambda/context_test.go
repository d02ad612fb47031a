package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeVersionServer answers GET /v1/version with version and GET
// /v1/whoami for key, 401 otherwise, and counts its requests.
func fakeVersionServer(t *testing.T, version, key string) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(401)
			w.Write([]byte(`{"error":{"code":"unauthorized","message":"bad key"}}`))
			return
		}
		if r.URL.Path == "/v1/whoami" {
			w.Write([]byte(`{"id":"LK1","name":"laptop","scope":"admin"}`))
			return
		}
		if r.URL.Path != "/v1/version" {
			w.WriteHeader(404)
			w.Write([]byte(`{"error":{"code":"not_found","message":"no route"}}`))
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"version": version, "commit": "abc123", "go_version": "go1.26", "os": "linux", "arch": "amd64"})
	}))
	t.Cleanup(h.Close)
	return h.URL, &n
}

// TestContexts: add, use, list, rm, and commands following the context
// in use to its server with its key.
func TestContexts(t *testing.T) {
	isolateCredentials(t)
	t.Setenv("LAMBDA_SERVER", "")
	t.Setenv("LAMBDA_CONTEXT", "")
	one, oneHits := fakeVersionServer(t, "v1.0.0", "lmb_one")
	two, twoHits := fakeVersionServer(t, "v1.0.0", "lmb_two")
	keyFile := filepath.Join(t.TempDir(), "one.key")
	os.WriteFile(keyFile, []byte("lmb_one\n"), 0o600)

	mustRun := func(stdin string, args ...string) string {
		t.Helper()
		stdout, stderr, code := runCLI(t, "", stdin, args...)
		if code != 0 {
			t.Fatalf("lambda %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		return stdout
	}
	mustRun("", "context", "add", "one", "--server", one, "--api-key-file", keyFile)
	mustRun("", "context", "add", "two", "--server", strings.TrimPrefix(two, "http://"))
	path, _ := contextsPath()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("contexts file: %v %v, want mode 0600", fi, err)
	}

	// Not used yet: the default context is current.
	out := mustRun("", "context", "list")
	if !strings.Contains(out, "default *") || !strings.Contains(out, "one   ") || !strings.Contains(out, keyFile) {
		t.Fatalf("context list:\n%s", out)
	}
	mustRun("", "context", "use", "one")
	mustRun("", "version")
	if oneHits.Load() != 1 || twoHits.Load() != 0 {
		t.Fatalf("version with context one reached one %d times, two %d times", oneHits.Load(), twoHits.Load())
	}
	// Login saves its key into the context in use (two, by --context).
	out = mustRun("lmb_two\n", "--context", "two", "login")
	if !strings.Contains(out, `key saved in context "two"`) {
		t.Fatalf("login: %s", out)
	}
	// Two now answers with the key saved in its context.
	t.Setenv("LAMBDA_CONTEXT", "two")
	mustRun("", "version")
	if twoHits.Load() < 2 {
		t.Fatalf("two was not reached with its context")
	}
	t.Setenv("LAMBDA_CONTEXT", "")

	var rows []contextInfo
	if err := json.Unmarshal([]byte(mustRun("", "context", "list", "-o", "json")), &rows); err != nil || len(rows) != 3 || !rows[1].Current || rows[1].Name != "one" || !rows[2].KeySaved {
		t.Fatalf("context list -o json: %+v %v", rows, err)
	}
	if b, _ := os.ReadFile(path); strings.Contains(mustRun("", "context", "list", "-o", "json"), "lmb_two") || !strings.Contains(string(b), "lmb_two") {
		t.Fatalf("list shows the key, or the file lacks it:\n%s", b)
	}

	// Bad input.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"context", "use", "nope"}, `context "nope" (from the command line) does not exist: the contexts are default, one, two`},
		{[]string{"context", "rm", "nope"}, `context "nope" (from the command line) does not exist`},
		{[]string{"context", "add", "one", "--server", one}, `context "one" exists already`},
		{[]string{"context", "add", "three"}, "--server URL is required"},
		{[]string{"context", "add", "default", "--server", one}, `"default" is the context of no stored settings`},
		{[]string{"context", "add", "x y", "--server", one}, `context name "x y" is invalid`},
		{[]string{"context", "add", "three", "--server", one, "--api-key-file", "/nonexistent"}, "--api-key-file /nonexistent"},
		{[]string{"--context", "nope", "list"}, `context "nope" (from --context) does not exist`},
	} {
		_, stderr, code := runCLI(t, "", "", tt.args...)
		if code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("lambda %s: exit %d, %q; want %q", strings.Join(tt.args, " "), code, stderr, tt.want)
		}
	}

	// A file others may read is refused, with the command that fixes it;
	// commands that call no server still run.
	os.Chmod(path, 0o644)
	_, stderr, code := runCLI(t, "", "", "list")
	if code == 0 || !strings.Contains(stderr, "fix it with: chmod 600 "+path) {
		t.Fatalf("list with a 0644 contexts file: exit %d, %q", code, stderr)
	}
	if _, stderr, code := runCLI(t, "", "", "init", filepath.Join(t.TempDir(), "fn"), "--runtime", "python"); code != 0 {
		t.Fatalf("init with a 0644 contexts file: exit %d, %q", code, stderr)
	}
	os.Chmod(path, 0o600)

	// rm of the current one falls back to the default context.
	mustRun("", "context", "rm", "one")
	out = mustRun("", "context", "list")
	if !strings.Contains(out, "default *") || strings.Contains(out, "one") {
		t.Fatalf("context list after rm:\n%s", out)
	}
	mustRun("", "context", "use", "two")
	mustRun("", "context", "use", "default")
	if out := mustRun("", "context", "list"); !strings.Contains(out, "default *") {
		t.Fatalf("context use default:\n%s", out)
	}
}
