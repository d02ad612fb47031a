package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// deployStuck deploys the slowstart image (it sleeps an hour before it is
// ready) over name with extra flags, and returns the CLI's result and how
// long it took.
func deployStuck(s *server, name string, flags ...string) (result, time.Duration) {
	s.t.Helper()
	start := time.Now()
	res := s.lambda(append([]string{"deploy", "--image", goImage(s.t, "slowstart"), "--name", name}, flags...)...)
	return res, time.Since(start)
}

// TestDeployNeverReady: a deploy whose instance never listens fails at its
// start timeout, saying what it waited for and what the function printed;
// the previous version keeps serving; later deploys are not blocked, and a
// delete cancels a deploy stuck in its warm-up.
func TestDeployNeverReady(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("neverready")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)

	res, took := deployStuck(s, name, "--start-timeout", "3s")
	if res.code == 0 {
		t.Fatalf("deploy of a function that never listens succeeded: %+v", res)
	}
	for _, want := range []string{
		"instance did not become ready within 3s: waited for the function to listen on port 8080",
		"slowstart: initialising for 1h0m0s", // the function's output
		"still serves",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("deploy error lacks %q:\n%s", want, res.stderr)
		}
	}
	// The image is built in a second or two; the wait is what is bounded.
	t.Logf("deploy with --start-timeout 3s failed after %s", took)
	if took > 30*time.Second {
		t.Errorf("failed deploy took %s with a 3s start timeout", took)
	}
	if resp, body := s.request("GET", s.host(name), "/", nil); resp.StatusCode != 200 || !strings.Contains(body, `"path":"/"`) {
		t.Errorf("previous version after the failed deploy: %d %s", resp.StatusCode, body)
	}

	// Nothing holds the function: the next deploy goes through at once.
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name, "--start-timeout", "2m")
	if res := s.mustLambda("describe", name, "-o", "json"); !strings.Contains(res.stdout, `"start_timeout": "2m0s"`) {
		t.Errorf("start timeout not recorded:\n%s", res.stdout)
	}
	// A setting of the function: lambda config changes it without a redeploy.
	if res := s.mustLambda("config", name, "--start-timeout", "90s"); !strings.Contains(res.stdout, "start timeout 1m30s") {
		t.Errorf("config --start-timeout: %s", res.stdout)
	}

	// A delete does not wait for a deploy stuck for up to 15 minutes.
	before := map[string]bool{}
	for _, id := range s.containers(name, true) {
		before[id] = true
	}
	stuck := make(chan result, 1)
	go func() {
		res, _ := deployStuck(s, name, "--start-timeout", "15m")
		stuck <- res
	}()
	// Delete once the stuck deploy is warming up its instance.
	deadline := time.Now().Add(time.Minute)
	for !slices.ContainsFunc(s.containers(name, true), func(id string) bool { return !before[id] }) {
		if time.Now().After(deadline) {
			t.Fatal("the stuck deploy started no container within 1m")
		}
		time.Sleep(100 * time.Millisecond) // polling docker ps
	}
	start := time.Now()
	s.mustLambda("delete", name)
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("delete during a stuck deploy took %s", took)
	} else {
		t.Logf("delete during a deploy stuck with --start-timeout 15m took %s", took)
	}
	select {
	case res := <-stuck:
		if res.code == 0 || !strings.Contains(res.stderr, "is being deleted") {
			t.Errorf("cancelled deploy: %+v", res)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stuck deploy still runs after the delete")
	}
	if left := s.containers(name, true); len(left) != 0 {
		t.Errorf("containers left: %v", left)
	}
}

// TestAWSNeverCallsNext: an aws function that never asks for its first
// event fails its deploy at the start timeout, naming the Runtime API.
func TestAWSNeverCallsNext(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("nonext")
	res, took := deployStuck(s, name, "--protocol", "aws", "--start-timeout", "3s")
	if res.code == 0 {
		t.Fatalf("deploy of an aws function that never calls /next succeeded: %+v", res)
	}
	for _, want := range []string{
		"instance did not become ready within 3s: waited for the function to call the Runtime API /next",
		"slowstart: initialising for 1h0m0s",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("deploy error lacks %q:\n%s", want, res.stderr)
		}
	}
	t.Logf("aws deploy with --start-timeout 3s failed after %s", took)
	if took > time.Minute { // the shim image may be built first
		t.Errorf("failed deploy took %s with a 3s start timeout", took)
	}
	if left := s.containers(name, true); len(left) != 0 {
		t.Errorf("containers left: %v", left)
	}
}

// TestDeleteDrains: requests in flight when a function is deleted finish
// with their answer; new ones get 404; then everything is gone.
func TestDeleteDrains(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("drain")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)

	const slow = 3
	type answer struct {
		status int
		body   string
		err    error
	}
	answers := make(chan answer, slow)
	for range slow {
		go func() {
			req, _ := http.NewRequest("GET", s.url("/sleep?d=4s"), nil)
			req.Host = s.host(name)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			answers <- answer{resp.StatusCode, string(b), err}
		}()
	}
	// Delete once all of them reached the function.
	deadline := time.Now().Add(30 * time.Second)
	for inflight(t, s, name) < slow {
		if time.Now().After(deadline) {
			t.Fatalf("%d slow requests never were in flight together", slow)
		}
		time.Sleep(50 * time.Millisecond) // polling the API
	}
	var wg sync.WaitGroup
	var del result
	wg.Add(1)
	start := time.Now()
	go func() { defer wg.Done(); del = s.lambda("delete", name) }()

	for range slow {
		a := <-answers
		if a.err != nil || a.status != 200 || !strings.Contains(a.body, `"slept":"4s"`) {
			t.Errorf("request in flight during the delete: %+v", a)
		}
	}
	wg.Wait()
	if del.code != 0 {
		t.Fatalf("delete: %+v", del)
	}
	t.Logf("delete with %d requests of 4s in flight took %s", slow, time.Since(start))
	if resp, body := s.request("GET", s.host(name), "/", nil); resp.StatusCode != 404 {
		t.Errorf("request after the delete: %d %s", resp.StatusCode, body)
	}
	if left := s.containers(name, true); len(left) != 0 {
		t.Errorf("containers left: %v", left)
	}
}

// inflight is the number of requests name's instances serve now.
func inflight(t *testing.T, s *server, name string) int {
	t.Helper()
	resp, err := http.Get(s.url("/v1/functions/" + name))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Instances []struct {
			Inflight int `json:"inflight"`
		} `json:"instances"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(fmt.Errorf("describe %s: %w", name, err))
	}
	n := 0
	for _, in := range d.Instances {
		n += in.Inflight
	}
	return n
}
