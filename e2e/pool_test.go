package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPoolLimits sends 40 concurrent requests to a 200 ms function with
// concurrency 1 and at most 3 instances: each answer is 200 or 429 (never a
// 5xx), and no more than 3 containers ever run.
func TestPoolLimits(t *testing.T) {
	requireDocker(t)
	s := startServer(t)
	cleanupFunction(t, "pool")
	s.mustLambda("deploy", "testdata/fixture", "--name", "pool")
	res := s.mustLambda("config", "pool", "--concurrency", "1", "--max-instances", "3")
	if !strings.Contains(res.stdout, "concurrency 1, instances 0-3") {
		t.Errorf("config said %q", res.stdout)
	}

	var mu sync.Mutex
	statuses := map[int]int{}
	cold := 0
	peak := 0
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			n := len(strings.Fields(docker(t, "ps", "-q", "--filter", "label=lambda.function=pool")))
			mu.Lock()
			peak = max(peak, n)
			mu.Unlock()
		}
	}()
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", s.url("/fn/pool/sleep?d=200ms"), nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			if resp.Header.Get("X-Lambda-Cold-Start") == "true" {
				cold++
			}
			mu.Unlock()
			if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-watched
	t.Logf("answers %v, %d cold starts, at most %d containers", statuses, cold, peak)
	for status, n := range statuses {
		if status != 200 && status != 429 {
			t.Errorf("%d answers with status %d", n, status)
		}
	}
	if statuses[200] == 0 {
		t.Error("no request succeeded")
	}
	if peak > 3 {
		t.Errorf("%d containers ran at once, max is 3", peak)
	}

	var detail struct {
		Instances []struct {
			State    string `json:"state"`
			Requests int64  `json:"requests"`
		} `json:"instances"`
	}
	if err := json.Unmarshal([]byte(s.mustLambda("describe", "pool", "-o", "json").stdout), &detail); err != nil {
		t.Fatal(err)
	}
	var served int64
	for _, in := range detail.Instances {
		served += in.Requests
		if in.State != "idle" && in.State != "draining" && in.State != "stopped" {
			t.Errorf("instance state %q after the load", in.State)
		}
	}
	if served < int64(statuses[200]) {
		t.Errorf("instances report %d requests served, %d succeeded", served, statuses[200])
	}

	// Reserved concurrency 0 disables the function.
	s.mustLambda("config", "pool", "--reserved-concurrency", "0")
	if resp, body := s.request("GET", s.host("pool"), "/", nil); resp.StatusCode != 429 || !strings.Contains(body, "disabled") {
		t.Errorf("disabled function: %d %s", resp.StatusCode, body)
	}
	s.mustLambda("config", "pool", "--reserved-concurrency", "none")
	if resp, _ := s.request("GET", s.host("pool"), "/", nil); resp.StatusCode != 200 {
		t.Errorf("re-enabled function: %d", resp.StatusCode)
	}
	if res := s.lambda("config", "pool"); res.code == 0 || !strings.Contains(res.stderr, "nothing to change") {
		t.Errorf("config without flags: %+v", res)
	}
	if res := s.lambda("config", "pool", "--min-instances", "5", "--max-instances", "2"); res.code == 0 || !strings.Contains(res.stderr, "above max") {
		t.Errorf("min above max: %+v", res)
	}
	s.mustLambda("delete", "pool")
}

// TestScaleToZero: after a short idle timeout the function has no
// container, and the next request is a cold start that succeeds.
func TestScaleToZero(t *testing.T) {
	requireDocker(t)
	s := startServer(t)
	cleanupFunction(t, "zero")
	s.mustLambda("deploy", "testdata/fixture", "--name", "zero")
	if resp, _ := s.request("GET", s.host("zero"), "/", nil); resp.Header.Get("X-Lambda-Cold-Start") != "false" {
		t.Errorf("first request after deploy: cold start %q, want false (deploy warms)", resp.Header.Get("X-Lambda-Cold-Start"))
	}
	s.mustLambda("config", "zero", "--idle-timeout", "1s")
	waitFor(t, 15*time.Second, func() bool {
		return docker(t, "ps", "-q", "--filter", "label=lambda.function=zero") == ""
	})
	if res := s.mustLambda("list"); !strings.Contains(res.stdout, "idle") {
		t.Errorf("list after scale to zero:\n%s", res.stdout)
	}
	resp, body := s.request("GET", s.host("zero"), "/", nil)
	if resp.StatusCode != 200 || resp.Header.Get("X-Lambda-Cold-Start") != "true" {
		t.Errorf("after scale to zero: %d cold=%q %s", resp.StatusCode, resp.Header.Get("X-Lambda-Cold-Start"), body)
	}
	// min instances keeps one warm whatever the idle timeout.
	s.mustLambda("config", "zero", "--min-instances", "1")
	time.Sleep(2500 * time.Millisecond)
	if docker(t, "ps", "-q", "--filter", "label=lambda.function=zero") == "" {
		t.Error("min instances 1 did not keep an instance")
	}
	s.mustLambda("delete", "zero")
}
