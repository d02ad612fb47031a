package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPoolLimits sends 40 concurrent 500 ms requests to a function with
// concurrency 1, at most 3 instances and a server queue of 2: 3 run, 2
// queue, the rest get 429 with Retry-After at once (never a 5xx), and the
// server's own records show that no more than 3 instances ever existed.
func TestPoolLimits(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t, "LAMBDA_QUEUE_SIZE=2") // its own: a small queue
	pool := s.fn("pool")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", pool)
	res := s.mustLambda("config", pool, "--concurrency", "1", "--max-instances", "3")
	if !strings.Contains(res.stdout, "concurrency 1, instances 0-3") {
		t.Errorf("config said %q", res.stdout)
	}

	var mu sync.Mutex
	statuses := map[int]int{}
	noRetryAfter, cold := 0, 0
	var slow429 time.Duration
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			resp, err := http.Get(s.url("/fn/" + pool + "/sleep?d=500ms"))
			if err != nil {
				t.Error(err)
				return
			}
			var body struct {
				Slept string `json:"slept"`
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			statuses[resp.StatusCode]++
			if resp.Header.Get("X-Lambda-Cold-Start") == "true" {
				cold++
			}
			switch {
			case err != nil:
				t.Errorf("%d answer is not JSON: %v", resp.StatusCode, err)
			case resp.StatusCode == 200 && body.Slept != "500ms":
				t.Errorf("200 answer %+v", body)
			case resp.StatusCode == 429:
				slow429 = max(slow429, time.Since(start))
				if resp.Header.Get("Retry-After") == "" {
					noRetryAfter++
				}
				if !strings.Contains(body.Error.Message, "at capacity") {
					t.Errorf("429 says %+v", body.Error)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("answers %v, %d cold starts, slowest 429 after %s", statuses, cold, slow429)
	for status, n := range statuses {
		if status != 200 && status != 429 {
			t.Errorf("%d answers with status %d", n, status)
		}
	}
	if statuses[200] < 3 {
		t.Errorf("%d requests succeeded, want at least the 3 instances' worth", statuses[200])
	}
	if statuses[429] == 0 {
		t.Error("no request was throttled: 3 instances and a queue of 2 cannot take 40 requests of 500 ms")
	}
	if noRetryAfter > 0 {
		t.Errorf("%d answers 429 without Retry-After", noRetryAfter)
	}
	// A full queue throttles at once; it does not wait for the queue timeout.
	if slow429 > 5*time.Second {
		t.Errorf("a 429 took %s", slow429)
	}

	// The peak from the server's records: with the default idle timeout no
	// instance is retired during the test, so every instance ever started
	// is listed, stopped or not.
	// Instances started for the queue may still be starting: wait until
	// every one has settled.
	var detail struct {
		Instances []struct {
			ID       string `json:"id"`
			State    string `json:"state"`
			Requests int64  `json:"requests"`
		} `json:"instances"`
	}
	waitFor(t, 30*time.Second, func() bool {
		if err := json.Unmarshal([]byte(s.mustLambda("describe", pool, "-o", "json").stdout), &detail); err != nil {
			t.Fatal(err)
		}
		for _, in := range detail.Instances {
			if in.State != "idle" {
				return false
			}
		}
		return true
	})
	if n := len(detail.Instances); n == 0 || n > 3 {
		t.Errorf("%d instances were started, max is 3: %+v", n, detail.Instances)
	}
	if n := len(s.containers(pool, true)); n != len(detail.Instances) {
		t.Errorf("docker has %d containers of the function, describe %d", n, len(detail.Instances))
	}
	var served int64
	for _, in := range detail.Instances {
		served += in.Requests
	}
	if served != int64(statuses[200]) {
		t.Errorf("instances report %d requests served, %d succeeded", served, statuses[200])
	}

	// Reserved concurrency 0 disables the function.
	s.mustLambda("config", pool, "--reserved-concurrency", "0")
	if resp, body := s.request("GET", s.host(pool), "/", nil); resp.StatusCode != 429 || !strings.Contains(body, "disabled") {
		t.Errorf("disabled function: %d %s", resp.StatusCode, body)
	}
	s.mustLambda("config", pool, "--reserved-concurrency", "none")
	if resp, _ := s.request("GET", s.host(pool), "/", nil); resp.StatusCode != 200 {
		t.Errorf("re-enabled function: %d", resp.StatusCode)
	}
	if res := s.lambda("config", pool); res.code == 0 || !strings.Contains(res.stderr, "nothing to change") {
		t.Errorf("config without flags: %+v", res)
	}
	if res := s.lambda("config", pool, "--min-instances", "5", "--max-instances", "2"); res.code == 0 || !strings.Contains(res.stderr, "above max") {
		t.Errorf("min above max: %+v", res)
	}
	s.mustLambda("delete", pool)
}

// TestScaleToZero: after a short idle timeout the function has no
// container, and the next request is a cold start that succeeds.
func TestScaleToZero(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	zero := s.fn("zero")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", zero)
	if resp, _ := s.request("GET", s.host(zero), "/", nil); resp.Header.Get("X-Lambda-Cold-Start") != "false" {
		t.Errorf("first request after deploy: cold start %q, want false (deploy warms)", resp.Header.Get("X-Lambda-Cold-Start"))
	}
	s.mustLambda("config", zero, "--idle-timeout", "1s", "--standby-timeout", "0")
	waitFor(t, 15*time.Second, func() bool { return len(s.containers(zero, false)) == 0 })
	if res := s.mustLambda("list"); !regexp.MustCompile(`(?m)^` + zero + `\s.*idle`).MatchString(res.stdout) {
		t.Errorf("list after scale to zero:\n%s", res.stdout)
	}
	resp, body := s.request("GET", s.host(zero), "/", nil)
	if resp.StatusCode != 200 || resp.Header.Get("X-Lambda-Cold-Start") != "true" {
		t.Errorf("after scale to zero: %d cold=%q %s", resp.StatusCode, resp.Header.Get("X-Lambda-Cold-Start"), body)
	}
	// min instances keeps one warm whatever the idle timeout.
	s.mustLambda("config", zero, "--min-instances", "1")
	time.Sleep(2500 * time.Millisecond) // past the idle timeout: nothing to wait for
	if len(s.containers(zero, false)) == 0 {
		t.Error("min instances 1 did not keep an instance")
	}
	s.mustLambda("delete", zero)
}
