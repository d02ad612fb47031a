package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHostileFunctions deploys functions that misbehave at start and on
// request. Each failure is reported with its status and cause, the server
// stays healthy, and the function serves again afterwards.
func TestHostileFunctions(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	h := startHostileServer(t)
	image := goImage(t, "hostile")

	// Start faults fail the deploy within the start timeout, show the
	// function's output, and leave nothing (awaits H1's start timeout).
	for _, tc := range []struct {
		mode string
		want []string
	}{
		{"exit", []string{"exiting at start as asked"}},
		{"hang", []string{"2s", "hanging before listening as asked"}},
		{"wrong-port", []string{"2s", "listening on the wrong port as asked"}},
	} {
		t.Run("start "+tc.mode, func(t *testing.T) {
			name := h.fn("start-" + tc.mode)
			start := time.Now()
			res := h.lambda("deploy", "--image", image, "--name", name, "--env", "HOSTILE_START="+tc.mode, "--start-timeout", "2s")
			took := time.Since(start)
			if res.code == 0 {
				t.Fatalf("deploy succeeded:\n%s", res.stderr)
			}
			for _, want := range tc.want {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("deploy error lacks %q:\n%s", want, res.stderr)
				}
			}
			if took > 30*time.Second {
				t.Errorf("the failed deploy took %s with a 2s start timeout", took)
			}
			h.checkClean(t, name)
		})
	}

	fn := h.fn("hostile")
	h.mustLambda("deploy", "--image", image, "--name", fn, "--timeout", "3s", "--memory", "64m")
	host := h.host(fn)
	healthy := func(t *testing.T) {
		t.Helper()
		if resp, body := h.request("GET", "", "/healthz", nil); resp.StatusCode != 200 {
			t.Errorf("server unhealthy: %d %s", resp.StatusCode, body)
		}
		if resp, body := h.request("GET", host, "/", nil); resp.StatusCode != 200 {
			t.Errorf("the function does not serve again: %d %s", resp.StatusCode, body)
		}
	}
	type reply struct {
		Spawned    int    `json:"spawned"`
		Error      string `json:"error"`
		FloodedMB  int    `json:"flooded_mb"`
		ErrorField struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
	}
	call := func(t *testing.T, path string) (int, reply, string) {
		t.Helper()
		resp, body := h.request("GET", host, path, nil)
		var r reply
		_ = json.Unmarshal([]byte(body), &r)
		var e apiError
		_ = json.Unmarshal([]byte(body), &e)
		r.ErrorField = e.Error
		return resp.StatusCode, r, body
	}

	t.Run("hangs on a request", func(t *testing.T) {
		status, r, body := call(t, "/hang")
		if status != 504 || r.ErrorField.Code != "timeout" {
			t.Errorf("%d %s", status, body)
		}
		healthy(t)
	})
	t.Run("runs out of memory", func(t *testing.T) {
		status, r, body := call(t, "/oom")
		// The answer says the function ran out of memory (out_of_memory).
		if status != 502 || r.ErrorField.Code != "out_of_memory" || !strings.Contains(strings.ToLower(r.ErrorField.Message), "memory") {
			t.Errorf("%d %s", status, body)
		}
		healthy(t)
	})
	t.Run("fork bomb", func(t *testing.T) {
		status, r, body := call(t, "/fork")
		// The pids limit (256) stops it; the platform is unaffected.
		if status != 200 || r.Spawned >= 256 || r.Error == "" {
			t.Errorf("%d %s", status, body)
		}
		healthy(t)
	})
	t.Run("floods its output", func(t *testing.T) {
		status, r, body := call(t, "/flood?mb=16")
		if status != 200 || r.FloodedMB != 16 {
			t.Errorf("%d %.200s", status, body)
		}
		healthy(t)
	})
	t.Run("writes outside /tmp", func(t *testing.T) {
		for path, want := range map[string]string{
			"/etc/hostile": "read-only file system",
			"/server":      "read-only file system",
			"/tmp/ok":      "",
		} {
			status, r, body := call(t, "/write?path="+path)
			if status != 200 || !strings.Contains(r.Error, want) || (want == "" && r.Error != "") {
				t.Errorf("write %s: %d %s", path, status, body)
			}
		}
		healthy(t)
	})
	t.Run("container killed mid-request", func(t *testing.T) {
		// A function of its own, so the busy instance is the one serving
		// this request.
		fn := h.fn("killed-mid")
		h.mustLambda("deploy", "--image", image, "--name", fn)
		host := h.host(fn)
		type answer struct {
			status int
			body   string
		}
		done := make(chan answer, 1)
		go func() {
			resp, body := h.request("GET", host, "/sleep?d=2500ms", nil)
			done <- answer{resp.StatusCode, body}
		}()
		var busy string
		waitFor(t, 10*time.Second, func() bool {
			var d struct{ Instances []struct{ ID, State string } }
			_ = json.Unmarshal([]byte(h.mustLambda("describe", fn, "-o", "json").stdout), &d)
			for _, in := range d.Instances {
				if in.State == "busy" {
					busy = in.ID
					return true
				}
			}
			return false
		})
		docker(t, "kill", busy)
		select {
		case a := <-done:
			if a.status != 502 || !strings.Contains(a.body, "function_error") {
				t.Errorf("request on a killed container: %d %s", a.status, a.body)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the request on a killed container did not end")
		}
		resp, body := h.request("GET", host, "/", nil)
		if resp.StatusCode != 200 || resp.Header.Get("X-Lambda-Cold-Start") != "true" {
			t.Errorf("after the kill: %d cold=%q %s", resp.StatusCode, resp.Header.Get("X-Lambda-Cold-Start"), body)
		}
		h.mustLambda("delete", fn)
		h.checkClean(t, fn)
	})
	h.mustLambda("delete", fn)
	h.checkClean(t, fn)

	// The server killed (SIGKILL) while it builds a deploy: after a
	// restart nothing of the deploy is left, and the same deploy succeeds
	// (awaits H5's reconciliation of images and temporary folders).
	t.Run("server killed mid-deploy", func(t *testing.T) {
		name := h.fn("killed")
		cmd := exec.Command(binary, "--server", h.url(""), "deploy", "testdata/fixture", "--name", name)
		cmd.Env = h.cliEnv()
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		building := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(stderr)
			found := false
			for sc.Scan() {
				if !found && strings.Contains(sc.Text(), "Building image") {
					found = true
					building <- true
				}
			}
			if !found {
				building <- false
			}
		}()
		select {
		case ok := <-building:
			if !ok {
				t.Fatal("the deploy ended before it built")
			}
		case <-time.After(60 * time.Second):
			t.Fatal("the deploy did not start building")
		}
		h.kill()
		if err := cmd.Wait(); err == nil {
			t.Error("the CLI reported success for a deploy whose server was killed")
		}
		h.start()
		// The restarted server removes the deploy's leftovers in the
		// background, once Docker answers: wait for that, bounded.
		waitFor(t, 30*time.Second, func() bool { return len(h.containers(name, true)) == 0 })
		// The daemon may finish the killed deploy's build after the
		// restart's first sweep: the server sweeps again a minute after
		// its start when it found the deploy's folder (engine).
		waitFor(t, 2*time.Minute, func() bool {
			return docker(t, "images", "-q", "--filter", "label=lambda.function="+name) == ""
		})
		h.checkClean(t, name)
		if left, _ := os.ReadDir(filepath.Join(h.dataDir, "tmp")); len(left) != 0 {
			t.Errorf("temporary folders left in the data directory: %v", left)
		}
		h.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
		h.mustLambda("delete", name)
	})
}
