package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// watchAPI is a server whose deploys publish version 1, 2, ... of what
// they are sent (a tree with BROKEN in a file fails to build), and whose
// log stream says which version serves.
type watchAPI struct {
	mu       sync.Mutex
	versions []string // the handler.py of each published version
	deploys  int      // deploy requests, failed ones too
}

func (a *watchAPI) handler(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/functions/{name}/deploy", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		mr, err := r.MultipartReader()
		if err != nil {
			apiError(w, 400, lambda.EINVALID, "%v", err)
			return
		}
		var handler string
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if p.FormName() == "code" {
				handler = readTarFile(t, p, "handler.py")
			}
		}
		a.mu.Lock()
		a.deploys++
		broken := strings.Contains(handler, "BROKEN")
		if !broken {
			a.versions = append(a.versions, handler)
		}
		n := len(a.versions)
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-ndjson")
		enc := json.NewEncoder(w)
		enc.Encode(lambdahttp.DeployEvent{Type: lambdahttp.EventStep, Step: 2, Total: 3, Message: "Building image"})
		if broken {
			enc.Encode(lambdahttp.DeployEvent{Type: lambdahttp.EventError, Error: &lambdahttp.ErrorBody{Code: lambda.EINVALID, Message: "build failed: SyntaxError: BROKEN"}})
			return
		}
		changed := true
		fn := lambdahttp.FunctionDetail{Name: name, Active: &lambda.Version{Function: name, Number: n}}
		enc.Encode(lambdahttp.DeployEvent{Type: lambdahttp.EventDone, Function: &fn, Changed: &changed})
	})
	mux.HandleFunc("GET /v1/functions/{name}", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		n := len(a.versions)
		a.mu.Unlock()
		json.NewEncoder(w).Encode(lambdahttp.FunctionDetail{Name: r.PathValue("name"), Active: &lambda.Version{Number: n}})
	})
	mux.HandleFunc("GET /v1/functions/{name}/logs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", lambdahttp.ContentTypeNDJSON)
		json.NewEncoder(w).Encode(lambda.LogLine{Time: time.Now(), Version: 1, Message: "hello from the function"})
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	return mux
}

func readTarFile(t *testing.T, r io.Reader, name string) string {
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Errorf("code is not gzip: %v", err)
		return ""
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			return ""
		}
		if h.Name == name {
			b, _ := io.ReadAll(tr)
			return string(b)
		}
	}
}

// watchBuffer is a bytes.Buffer safe for the watch's two writers.
type watchBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *watchBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *watchBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitUntil polls cond, bounded; no timed assertion: the bound only ends
// a test that would otherwise hang.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeployWatch(t *testing.T) {
	api := &watchAPI{}
	srv := httptest.NewServer(api.handler(t))
	t.Cleanup(srv.Close)
	dir := filepath.Join(t.TempDir(), "greet")
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("handler.py", "v1")
	write(".lambdaignore", "*.log\nnode_modules\n")
	// A burst is written within microseconds: a second of quiet leaves no
	// doubt on a loaded machine about which saves make one deploy.
	defer func(d time.Duration) { watchDebounce = d }(watchDebounce)
	watchDebounce = time.Second

	var out, errOut watchBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--server", srv.URL, "deploy", dir, "--watch", "--runtime", "python"}, &streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	}()
	waitUntil(t, "the watch to start", func() bool { return strings.Contains(errOut.String(), "Watching ") })
	waitUntil(t, "the logs between deploys", func() bool { return strings.Contains(out.String(), "hello from the function") })

	// A burst of saves: one deploy of the last content (the debounce).
	for _, v := range []string{"v2a", "v2b", "v2"} {
		write("handler.py", v)
	}
	waitUntil(t, "version 2", func() bool { return strings.Contains(errOut.String(), "deployed greet version 2 in ") })
	// A new subdirectory is watched too.
	write("lib/util.py", "x")
	waitUntil(t, "version 3", func() bool { return strings.Contains(errOut.String(), "deployed greet version 3 in ") })
	// A broken build: the error is printed, nothing is published.
	write("handler.py", "BROKEN")
	waitUntil(t, "the failed deploy", func() bool { return strings.Contains(errOut.String(), "deploy failed after ") })
	if !strings.Contains(errOut.String(), "SyntaxError: BROKEN") || !strings.Contains(errOut.String(), "version 3 of \"greet\" still serves") {
		t.Errorf("the failure does not say what failed and what serves:\n%s", errOut.String())
	}
	// Ignored files deploy nothing; the fix after them does.
	write("debug.log", "noise")
	write("node_modules/x.js", "noise")
	write("handler.py", "v4")
	waitUntil(t, "version 4", func() bool { return strings.Contains(errOut.String(), "deployed greet version 4 in ") })

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("Ctrl-C: exit %d, want 0\n%s", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the watch did not stop after Ctrl-C")
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if want := []string{"v1", "v2", "v2", "v4"}; strings.Join(api.versions, ",") != strings.Join(want, ",") {
		t.Errorf("published %q, want %q", api.versions, want)
	}
	// 4 published and 1 failed: the ignored files and the burst's first
	// saves deployed nothing of their own.
	if api.deploys != 5 {
		t.Errorf("%d deploys, want 5:\n%s", api.deploys, errOut.String())
	}
	if !strings.Contains(errOut.String(), "Stopped watching.") {
		t.Errorf("no stop line:\n%s", errOut.String())
	}
}

func TestDeployWatchBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"deploy", "--image", "nginx:1", "--watch"}, "--image and --image-archive have none to watch"},
		{[]string{"deploy", dir, "--watch", "-o", "json"}, "leave out -o json"},
		{[]string{"deploy", dir, "--no-logs"}, "--no-logs goes with --watch"},
	} {
		_, stderr, code := runCLI(t, "http://127.0.0.1:1", "", tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestEditorScratch(t *testing.T) {
	for name, want := range map[string]bool{"4913": true, ".handler.py.swp": true, "handler.py~": true, ".#handler.py": true, "handler.py": false, "main.go": false} {
		if editorScratch(name) != want {
			t.Errorf("editorScratch(%q) = %v", name, !want)
		}
	}
}

// A project's directory is watched as one: each deploy is one line
// naming its functions' versions, and the logs of every function stream,
// each line under its function's name.
func TestDeployWatchProject(t *testing.T) {
	var mu sync.Mutex
	deploys := 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/projects/{project}/deploy", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		mu.Lock()
		deploys++
		n := deploys
		mu.Unlock()
		res := &lambdahttp.ProjectDeployResult{Project: r.PathValue("project")}
		for _, name := range []string{"api", "report"} {
			v := n
			if name == "report" {
				v = 1 // only api's code changes
			}
			res.Functions = append(res.Functions, lambdahttp.DeployResult{
				FunctionDetail: lambdahttp.FunctionDetail{Name: name, Active: &lambda.Version{Function: name, Number: v}},
				Changed:        name == "api" || n == 1,
			})
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		json.NewEncoder(w).Encode(lambdahttp.DeployEvent{Type: lambdahttp.EventDone, Project: res})
	})
	mux.HandleFunc("GET /v1/functions/{name}/logs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", lambdahttp.ContentTypeNDJSON)
		json.NewEncoder(w).Encode(lambda.LogLine{Time: time.Now(), Version: 1, Message: "hello from " + r.PathValue("name")})
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"lambda.yaml": "project: shop\nruntime: python\nfunctions:\n  api: {handler: api.handler}\n  report: {handler: report.handler}\n",
		"api.py":      "v1", "report.py": "v1",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut watchBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--server", srv.URL, "deploy", dir, "--watch"}, &streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	}()
	waitUntil(t, "the watch to start", func() bool { return strings.Contains(errOut.String(), "Watching ") })
	waitUntil(t, "both functions' logs", func() bool {
		return strings.Contains(out.String(), "api | ") && strings.Contains(out.String(), "hello from api") &&
			strings.Contains(out.String(), "report | ") && strings.Contains(out.String(), "hello from report")
	})
	if err := os.WriteFile(filepath.Join(dir, "api.py"), []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the project's redeploy", func() bool {
		return strings.Contains(errOut.String(), "deployed project shop in ") &&
			strings.Contains(errOut.String(), "api version 2, report version 1 (unchanged)")
	})
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d\n%s", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the watch did not stop after Ctrl-C")
	}
}
