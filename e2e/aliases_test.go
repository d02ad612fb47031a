package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// servedVersions sends n requests to path (on host, "" for the server's
// own) and counts the X-Lambda-Version of the answers; any answer but a
// 200 of the fixture fails the test.
func servedVersions(t *testing.T, s *server, host, path string, n int) map[string]int {
	t.Helper()
	out := map[string]int{}
	for range n {
		resp, body := s.request("GET", host, path, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s (Host %s): %d %s", path, host, resp.StatusCode, body)
		}
		var e echoed
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("GET %s: %v %s", path, err, body)
		}
		v := resp.Header.Get("X-Lambda-Version")
		if want := map[string]string{"1": "one", "2": "two", "3": "three"}[v]; want != "" && e.Env != want {
			t.Fatalf("version %s answered with env %q, want %q", v, e.Env, want)
		}
		out[v]++
	}
	return out
}

// TestAliases: a canary deploy splits live's traffic within statistical
// bounds, and repeated publishes nothing; aliases and version numbers route by ALIAS--NAME host, by
// /fn/NAME@ALIAS path, by "lambda invoke NAME:ALIAS" and by the Invoke
// API's Qualifier; bad input gets clear errors; promote and rollback end a
// canary.
func TestAliases(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	fn := s.fn("alias")
	image := fixtureImage(t)
	s.mustLambda("deploy", "--image", image, "--name", fn, "--env", "FIXTURE_TAG=one")
	out := s.mustLambda("deploy", "--image", image, "--name", fn, "--env", "FIXTURE_TAG=two", "--canary", "30%")
	if !strings.Contains(out.stdout+out.stderr, fn) {
		t.Fatalf("deploy --canary said: %s %s", out.stdout, out.stderr)
	}
	// The same canary deploy again publishes nothing (it published and
	// warmed a copy of the canary each time).
	again := s.mustLambda("deploy", "--image", image, "--name", fn, "--env", "FIXTURE_TAG=two", "--canary", "30%")
	if !strings.Contains(again.stdout, "No changes: version 2 stays live's canary, with 30% of its traffic") {
		t.Errorf("the same deploy --canary again said: %s %s", again.stdout, again.stderr)
	}
	list := s.mustLambda("alias", "list", fn).stdout
	if !strings.Contains(list, "live ") || !strings.Contains(list, "30%") || !strings.Contains(list, " 2 ") {
		t.Fatalf("alias list after --canary:\n%s", list)
	}

	// The split: 30% to version 2, within 5 standard deviations.
	const n = 300
	got := servedVersions(t, s, "", "/fn/"+fn+"/", n)
	if sigma := math.Sqrt(n * 0.3 * 0.7); math.Abs(float64(got["2"])-n*0.3) > 5*sigma || got["1"]+got["2"] != n {
		t.Fatalf("live with a 30%% canary served %v", got)
	}

	s.mustLambda("alias", "set", fn, "beta", "--version", "2", "--description", "next release")
	for _, tt := range []struct{ host, path, want string }{
		{s.host("beta--" + fn), "/", "2"},
		{s.host("1--" + fn), "/", "1"},
		{s.host("2--" + fn), "/x", "2"},
		{"", "/fn/" + fn + "@beta/", "2"},
		{"", "/fn/" + fn + "@1/a", "1"},
	} {
		if got := servedVersions(t, s, tt.host, tt.path, 5); got[tt.want] != 5 {
			t.Errorf("Host %s %s served %v, want version %s", tt.host, tt.path, got, tt.want)
		}
	}
	// The path after NAME@ALIAS is the function's own.
	if resp, body := s.request("GET", "", "/fn/"+fn+"@beta/some/path", nil); resp.StatusCode != 200 || !strings.Contains(body, `"path":"/some/path"`) {
		t.Errorf("/fn/NAME@beta/some/path: %d %s", resp.StatusCode, body)
	}
	inv := s.mustLambda("invoke", fn+":beta", "-v", "--data", `{}`)
	if !strings.Contains(inv.stderr, "X-Lambda-Version: 2") {
		t.Errorf("lambda invoke NAME:beta went to another version:\n%s", inv.stderr)
	}
	inv = s.mustLambda("invoke", fn, "--qualifier", "1", "-v", "--data", `{}`)
	if !strings.Contains(inv.stderr, "X-Lambda-Version: 1") {
		t.Errorf("lambda invoke --qualifier 1 went to another version:\n%s", inv.stderr)
	}
	for q, want := range map[string]string{"beta": "2", "1": "1", "$LATEST": ""} {
		resp, body := s.request("POST", "", "/2015-03-31/functions/"+fn+"/invocations?Qualifier="+strings.ReplaceAll(q, "$", "%24"), []byte(`{}`))
		if resp.StatusCode != 200 || want != "" && resp.Header.Get("X-Amz-Executed-Version") != want {
			t.Errorf("Invoke API Qualifier %s: %d version %q %s", q, resp.StatusCode, resp.Header.Get("X-Amz-Executed-Version"), body)
		}
	}
	if resp, body := s.request("POST", "", "/2015-03-31/functions/"+fn+":beta/invocations", []byte(`{}`)); resp.StatusCode != 200 || resp.Header.Get("X-Amz-Executed-Version") != "2" {
		t.Errorf("Invoke API NAME:beta: %d version %q %s", resp.StatusCode, resp.Header.Get("X-Amz-Executed-Version"), body)
	}

	// Asynchronous invocations run where their qualifier points, each
	// attempt routed as a synchronous call would be: the Invoke API's
	// Event with a Qualifier, and lambda invoke NAME:ALIAS --async.
	event := map[string]string{"X-Amz-Invocation-Type": "Event"}
	code, header, body := apiCall(s, "POST", "/2015-03-31/functions/"+fn+"/invocations?Qualifier=beta", []byte(`{}`), event)
	if code != 202 {
		t.Fatalf("Invoke API Event with Qualifier beta: %d %s", code, body)
	}
	ids := map[string]string{header.Get("X-Amzn-RequestId"): "2"}
	id := strings.TrimSpace(s.mustLambda("invoke", fn+":1", "--async", "--data", `{}`).stdout)
	ids[id] = "1"
	for id, want := range ids {
		j := waitJob(s, id, 2*time.Minute, ended)
		if j.Status != lambda.StatusSucceeded || strconv.Itoa(j.Version) != want || j.Qualifier == "" {
			t.Errorf("async invocation %s: %s on version %d (qualifier %q), want succeeded on %s: %s", id, j.Status, j.Version, j.Qualifier, want, describeAttempts(j))
		}
	}
	if code, header, body := apiCall(s, "POST", "/2015-03-31/functions/"+fn+"/invocations?Qualifier=nope", []byte(`{}`), event); code != 404 || header.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
		t.Errorf("Invoke API Event for an unknown alias: %d %s %s", code, header.Get("X-Amzn-ErrorType"), body)
	}
	if res := s.lambda("invoke", fn+":9", "--async", "--data", `{}`); res.code == 0 || !strings.Contains(res.stderr, "no version 9") {
		t.Errorf("lambda invoke NAME:9 --async: exit %d %s", res.code, res.stderr)
	}

	// Bad input.
	for _, tt := range []struct {
		host, path string
		status     int
		has        string
	}{
		{"", "/fn/" + fn + "@bta/", 404, `did you mean \"beta\"`},
		{"", "/fn/" + fn + "@9/", 404, "no version 9"},
		{s.host("nope--" + fn), "/", 404, `no alias \"nope\"`},
		{"", "/fn/" + fn + "@Beta/", 400, "qualifier"},
	} {
		resp, body := s.request("GET", tt.host, tt.path, nil)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.has) {
			t.Errorf("Host %s %s: %d %s, want %d with %s", tt.host, tt.path, resp.StatusCode, body, tt.status, tt.has)
		}
	}
	if resp, body := s.request("POST", "", "/2015-03-31/functions/"+fn+"/invocations?Qualifier=nope", []byte(`{}`)); resp.StatusCode != 404 || resp.Header.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
		t.Errorf("Invoke API unknown alias: %d %s %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body)
	}
	for _, tt := range []struct {
		args []string
		has  string
	}{
		{[]string{"alias", "set", fn, "12", "--version", "1"}, "version number"},
		{[]string{"alias", "set", fn, "beta", "--version", "1", "--weight", "2=1.5"}, "share of traffic"},
		{[]string{"alias", "set", fn, "beta", "--version", "7"}, "no version 7"},
		{[]string{"alias", "delete", fn, "live"}, "cannot be deleted"},
		{[]string{"promote", fn + "x"}, "not found"},
	} {
		res := s.lambda(tt.args...)
		if res.code == 0 || !strings.Contains(res.stdout+res.stderr, tt.has) {
			t.Errorf("lambda %s: exit %d %s %s, want an error with %q", strings.Join(tt.args, " "), res.code, res.stdout, res.stderr, tt.has)
		}
	}
	if resp, body := s.request("PUT", "", "/v1/functions/"+fn+"/aliases/beta", []byte(`{"version":1,"additional_version":2,"weight":-0.5}`)); resp.StatusCode != 400 || !strings.Contains(body, "outside 0-1") {
		t.Errorf("PUT alias with weight -0.5: %d %s", resp.StatusCode, body)
	}

	// Promote: version 2 takes all of live's traffic.
	s.mustLambda("promote", fn)
	if got := servedVersions(t, s, "", "/fn/"+fn+"/", 20); got["2"] != 20 {
		t.Fatalf("after promote live served %v", got)
	}
	if res := s.lambda("promote", fn); res.code == 0 || !strings.Contains(res.stderr, "no canary") {
		t.Errorf("a second promote: exit %d %s", res.code, res.stderr)
	}
	// A rollback of a canary: the split goes, live keeps version 2.
	s.mustLambda("deploy", "--image", image, "--name", fn, "--env", "FIXTURE_TAG=three", "--canary", "0.5")
	if got := servedVersions(t, s, "", "/fn/"+fn+"/", 40); got["3"] == 0 || got["2"] == 0 {
		t.Fatalf("live with a 50%% canary served %v", got)
	}
	s.mustLambda("rollback", fn)
	if got := servedVersions(t, s, "", "/fn/"+fn+"/", 20); got["2"] != 20 {
		t.Fatalf("after rolling back the canary live served %v", got)
	}
	s.mustLambda("alias", "delete", fn, "beta")
	if resp, _ := s.request("GET", s.host("beta--"+fn), "/", nil); resp.StatusCode != 404 {
		t.Errorf("a deleted alias answers %d", resp.StatusCode)
	}
}

// TestAliasSplitRedeployUnderLoad: while clients keep requests flowing
// through live with a canary split, a canary deploy, a promote, a plain
// deploy and an alias change happen; no request fails, and both versions
// of the split answer.
func TestAliasSplitRedeployUnderLoad(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	fn := s.fn("aliasload")
	image := fixtureImage(t)
	s.mustLambda("deploy", "--image", image, "--name", fn, "--env", "FIXTURE_TAG=one")
	s.mustLambda("deploy", "--image", image, "--name", fn, "--env", "FIXTURE_TAG=two", "--canary", "50%")

	var (
		mu       sync.Mutex
		failures []string
		seen     = map[string]int{}
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := "/fn/" + fn + "/"
			if i%2 == 1 {
				path = "/fn/" + fn + "/sleep?d=100ms"
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(s.url(path))
				if err != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("GET %s: %v", path, err))
					mu.Unlock()
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				if resp.StatusCode != 200 {
					failures = append(failures, fmt.Sprintf("GET %s: %d %s", path, resp.StatusCode, body))
				} else {
					seen[resp.Header.Get("X-Lambda-Version")]++
				}
				mu.Unlock()
			}
		}()
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, c := range seen {
			n += c
		}
		return n
	}
	answered := func(v string) bool {
		mu.Lock()
		defer mu.Unlock()
		return seen[v] > 0
	}
	// step runs a change under load and waits for 20 more answers and
	// one from version want: the split is random per request, and 20 at
	// a 20 % canary miss it about once in a hundred runs.
	step := func(want string, args ...string) {
		t.Helper()
		before := count()
		s.mustLambda(args...)
		waitFor(t, 30*time.Second, func() bool { return count() >= before+20 && answered(want) })
	}
	step("3", "deploy", "--image", image, "--name", fn, "--env", "FIXTURE_TAG=three", "--canary", "30%") // 1 + 3@30%
	step("3", "promote", fn)                                                                             // 3
	step("4", "deploy", "--image", image, "--name", fn, "--env", "FIXTURE_TAG=four")                     // 4
	step("4", "alias", "set", fn, "live", "--version", "4", "--weight", "3=0.5")                         // 4 + 3@50%
	step("5", "deploy", "--image", image, "--name", fn, "--env", "FIXTURE_TAG=five", "--canary", "20%")  // 4 + 5@20%
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(failures) > 0 {
		t.Fatalf("%d requests failed across the changes, e.g. %s", len(failures), failures[0])
	}
	for _, v := range []string{"1", "2", "3", "4", "5"} {
		if seen[v] == 0 {
			t.Errorf("version %s never answered: %v", v, seen)
		}
	}
}
