package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRedeployUnderLoad redeploys while requests flow through a function
// of concurrency 1 on 2 instances: 8 clients, half of them slow, keep
// requests queued and in flight across the switch. None may fail, every
// body must decode, and queued requests move to the new version. Then
// versions, rollback and a failing build, which must leave the serving
// version alone.
func TestRedeployUnderLoad(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	ver := s.fn("ver")
	image := fixtureImage(t)
	s.mustLambda("deploy", "--image", image, "--name", ver, "--env", "FIXTURE_TAG=one")
	s.mustLambda("config", ver, "--concurrency", "1", "--max-instances", "2")

	type answer struct {
		start, end time.Time
		version    string
		wait       float64 // ms in the platform's queue (Server-Timing)
	}
	var (
		mu       sync.Mutex
		answers  []answer
		failures []string
		seen     = map[string]bool{}
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	for i := range 8 {
		slow := i%2 == 1
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				path := "/fn/" + ver + "/"
				if slow {
					path = "/fn/" + ver + "/sleep?d=300ms"
				}
				start := time.Now()
				resp, err := client.Get(s.url(path))
				if err != nil {
					fail("GET %s: %v", path, err)
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					fail("GET %s: %d %v %s", path, resp.StatusCode, err, body)
					continue
				}
				a := answer{start: start, end: time.Now(), version: resp.Header.Get("X-Lambda-Version")}
				_, _ = fmt.Sscanf(resp.Header.Get("Server-Timing"), "lambda-wait;dur=%g", &a.wait)
				if slow {
					var b struct{ Slept string }
					if err := json.Unmarshal(body, &b); err != nil || b.Slept != "300ms" {
						fail("GET %s: %v %s", path, err, body)
						continue
					}
				} else {
					var e echoed
					if err := json.Unmarshal(body, &e); err != nil || e.Env == "" {
						fail("GET %s: %v %s", path, err, body)
						continue
					}
					want := map[string]string{"1": "one", "2": "two"}[a.version]
					if e.Env != want {
						fail("version %s answered with env %q", a.version, e.Env)
					}
				}
				mu.Lock()
				answers = append(answers, a)
				seen[a.version] = true
				mu.Unlock()
			}
		}()
	}
	// Let the queue fill before the switch: both instances busy, clients
	// waiting.
	waitFor(t, 20*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(answers) >= 16
	})
	deployed := time.Now()
	s.mustLambda("deploy", "--image", image, "--name", ver, "--env", "FIXTURE_TAG=two")
	deployedEnd := time.Now()
	waitFor(t, 20*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, a := range answers {
			if a.version == "2" && a.start.After(deployedEnd) {
				n++
			}
		}
		return n >= 8
	})
	close(stop)
	wg.Wait()

	// Requests that were queued when the switch happened: they started
	// before the deploy returned, waited for a slot, and version 2 served
	// them.
	var handed, before int
	for _, a := range answers {
		if a.start.Before(deployed) && a.end.After(deployed) {
			before++
		}
		if a.version == "2" && a.start.Before(deployedEnd) && a.wait >= 100 {
			handed++
		}
	}
	t.Logf("%d answers, %d in flight when the deploy began, %d queued across the switch and served by version 2, %d failures",
		len(answers), before, handed, len(failures))
	for i, f := range failures {
		if i == 10 {
			t.Errorf("... and %d more", len(failures)-10)
			break
		}
		t.Error(f)
	}
	if !seen["1"] || !seen["2"] {
		t.Errorf("versions seen: %v, want 1 and 2", seen)
	}
	if before == 0 || handed == 0 {
		t.Errorf("no request was queued across the switch (%d in flight at the deploy, %d handed over): the test did not test the handover", before, handed)
	}
	if resp, body := s.request("GET", s.host(ver), "/", nil); resp.Header.Get("X-Lambda-Version") != "2" || decodeEcho(t, body).Env != "two" {
		t.Errorf("after redeploy: version %s env %s", resp.Header.Get("X-Lambda-Version"), body)
	}
	// The old instances are drained and removed.
	waitFor(t, 20*time.Second, func() bool {
		var d struct {
			Instances []struct {
				Version int
				Running bool
			}
		}
		_ = json.Unmarshal([]byte(s.mustLambda("describe", ver, "-o", "json").stdout), &d)
		running := 0
		for _, in := range d.Instances {
			if in.Running && in.Version != 2 {
				return false
			}
			if in.Running {
				running++
			}
		}
		return running > 0
	})

	res := s.mustLambda("versions", ver, "-o", "json")
	var versions []struct {
		Number int  `json:"number"`
		Active bool `json:"active"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &versions); err != nil || len(versions) != 2 || !versions[1].Active {
		t.Fatalf("versions: %v %s", err, res.stdout)
	}

	// A failing build: exit 1, the log tail, and version 2 keeps serving.
	broken := t.TempDir()
	copyDir(t, "testdata/fixture", broken)
	if err := os.WriteFile(filepath.Join(broken, "broken.go"), []byte("package main\n\nfunc broken() { undefinedCall() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = s.lambda("deploy", broken, "--name", ver)
	if res.code != 1 || !strings.Contains(res.stderr, "undefined: undefinedCall") {
		t.Errorf("failing build: exit %d\n%s", res.code, res.stderr)
	}
	if resp, _ := s.request("GET", s.host(ver), "/", nil); resp.Header.Get("X-Lambda-Version") != "2" {
		t.Errorf("after failed build version %s serves", resp.Header.Get("X-Lambda-Version"))
	}
	if res := s.mustLambda("versions", ver, "-o", "json"); strings.Count(res.stdout, `"number"`) != 2 {
		t.Errorf("failed build left a version: %s", res.stdout)
	}

	// Rollback to the previous version, then forward again with --to.
	res = s.mustLambda("rollback", ver)
	if !strings.Contains(res.stdout, "version 1") {
		t.Errorf("rollback said %q", res.stdout)
	}
	if resp, body := s.request("GET", s.host(ver), "/", nil); resp.Header.Get("X-Lambda-Version") != "1" || decodeEcho(t, body).Env != "one" {
		t.Errorf("after rollback: %s %s", resp.Header.Get("X-Lambda-Version"), body)
	}
	s.mustLambda("rollback", ver, "--to", "2")
	if resp, _ := s.request("GET", s.host(ver), "/", nil); resp.Header.Get("X-Lambda-Version") != "2" {
		t.Errorf("after rollback --to 2: %s", resp.Header.Get("X-Lambda-Version"))
	}
	if res := s.lambda("rollback", ver, "--to", "9"); res.code == 0 || !strings.Contains(res.stderr, "not found") {
		t.Errorf("rollback to a missing version: %+v", res)
	}
	s.mustLambda("delete", ver)
}

func waitFor(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
