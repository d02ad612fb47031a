package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRedeployUnderLoad redeploys while requests flow: none may fail, and
// traffic moves to the new version. Then versions, rollback and a failing
// build, which must leave the serving version alone.
func TestRedeployUnderLoad(t *testing.T) {
	requireDocker(t)
	s := startServer(t)
	cleanupFunction(t, "ver")
	s.mustLambda("deploy", "testdata/fixture", "--name", "ver", "--env", "FIXTURE_TAG=one")

	var ok, failed atomic.Int64
	var seen sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", s.url("/"), nil)
				req.Host = s.host("ver")
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
					if err == nil {
						resp.Body.Close()
					}
					continue
				}
				var e echoed
				_ = json.NewDecoder(resp.Body).Decode(&e)
				resp.Body.Close()
				seen.Store(e.Env, true)
				ok.Add(1)
			}
		}()
	}
	s.mustLambda("deploy", "testdata/fixture", "--name", "ver", "--env", "FIXTURE_TAG=two")
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d of %d requests failed during the redeploy", failed.Load(), failed.Load()+ok.Load())
	}
	if _, one := seen.Load("one"); !one {
		t.Error("no request reached version 1")
	}
	if _, two := seen.Load("two"); !two {
		t.Error("no request reached version 2 after the switch")
	}
	t.Logf("%d requests during the redeploy, none failed", ok.Load())
	if resp, body := s.request("GET", s.host("ver"), "/", nil); resp.Header.Get("X-Lambda-Version") != "2" || decodeEcho(t, body).Env != "two" {
		t.Errorf("after redeploy: version %s env %s", resp.Header.Get("X-Lambda-Version"), body)
	}
	// The old instance is drained and removed.
	waitFor(t, 10*time.Second, func() bool {
		return len(strings.Fields(docker(t, "ps", "-q", "--filter", "label=lambda.function=ver"))) == 1
	})

	res := s.mustLambda("versions", "ver", "-o", "json")
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
	res = s.lambda("deploy", broken, "--name", "ver")
	if res.code != 1 || !strings.Contains(res.stderr, "undefined: undefinedCall") {
		t.Errorf("failing build: exit %d\n%s", res.code, res.stderr)
	}
	if resp, _ := s.request("GET", s.host("ver"), "/", nil); resp.Header.Get("X-Lambda-Version") != "2" {
		t.Errorf("after failed build version %s serves", resp.Header.Get("X-Lambda-Version"))
	}
	if res := s.mustLambda("versions", "ver", "-o", "json"); strings.Count(res.stdout, `"number"`) != 2 {
		t.Errorf("failed build left a version: %s", res.stdout)
	}

	// Rollback to the previous version, then forward again with --to.
	res = s.mustLambda("rollback", "ver")
	if !strings.Contains(res.stdout, "version 1") {
		t.Errorf("rollback said %q", res.stdout)
	}
	if resp, body := s.request("GET", s.host("ver"), "/", nil); resp.Header.Get("X-Lambda-Version") != "1" || decodeEcho(t, body).Env != "one" {
		t.Errorf("after rollback: %s %s", resp.Header.Get("X-Lambda-Version"), body)
	}
	s.mustLambda("rollback", "ver", "--to", "2")
	if resp, _ := s.request("GET", s.host("ver"), "/", nil); resp.Header.Get("X-Lambda-Version") != "2" {
		t.Errorf("after rollback --to 2: %s", resp.Header.Get("X-Lambda-Version"))
	}
	if res := s.lambda("rollback", "ver", "--to", "9"); res.code == 0 || !strings.Contains(res.stderr, "not found") {
		t.Errorf("rollback to a missing version: %+v", res)
	}
	s.mustLambda("delete", "ver")
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
