package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAsyncSettings: a function's async settings go from deploy flags,
// lambda config and lambda.yaml through the server to its store and back
// to describe; destinations are checked by the server (exists, not
// itself) and the CLI refuses bad values before uploading anything.
func TestAsyncSettings(t *testing.T) {
	s := sharedServer(t)
	work, dlq := s.fn("settings"), s.fn("settings-dlq")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", dlq)

	res := s.lambda("deploy", "--image", fixtureImage(t), "--name", work, "--on-failure", "nosuch-"+dlq)
	if res.code != 1 || !strings.Contains(res.stderr, `on_failure function "nosuch-`+dlq+`" does not exist: deploy it first`) {
		t.Fatalf("deploy with a missing destination: exit %d, stderr %s", res.code, res.stderr)
	}
	if res := s.lambda("describe", work); res.code == 0 {
		t.Fatalf("a deploy refused for its destination created the function:\n%s", res.stdout)
	}

	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", work, "--max-retries", "1", "--retry-delay", "2s", "--on-failure", dlq)
	type settings struct {
		MaxRetries       *int   `json:"max_retries"`
		RetryDelay       string `json:"retry_delay"`
		MaxEventAge      string `json:"max_event_age"`
		AsyncConcurrency int    `json:"async_concurrency"`
		OnSuccess        string `json:"on_success"`
		OnFailure        string `json:"on_failure"`
	}
	ptr := func(n int) *int { return &n }
	same := func(a, b settings) bool {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return string(x) == string(y)
	}
	describe := func() settings {
		t.Helper()
		var d struct{ Scaling settings }
		out := s.mustLambda("describe", work, "-o", "json").stdout
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("describe -o json: %v\n%s", err, out)
		}
		return d.Scaling
	}
	// The fixture is an http function: 16 × 10 is its capacity.
	want := settings{MaxRetries: ptr(1), RetryDelay: "2s", MaxEventAge: "6h0m0s", AsyncConcurrency: 160, OnFailure: dlq}
	if got := describe(); !same(got, want) {
		t.Errorf("after deploy: %+v, want %+v", got, want)
	}
	if out := s.mustLambda("describe", work).stdout; !strings.Contains(out, "Async:            max retries 1, retry delay 2s (doubling), max event age 6h, async concurrency 160, on success none, on failure "+dlq+"\n") {
		t.Errorf("describe does not show the async settings:\n%s", out)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--on-success", "nosuch-" + dlq}, `on_success function "nosuch-` + dlq + `" does not exist: deploy it first`},
		{[]string{"--on-failure", work}, "cannot be its own destination"},
		{[]string{"--max-retries", "3"}, "--max-retries: max retries 3 is out of range 0-2"},
		{[]string{"--max-event-age", "30s"}, "--max-event-age: max event age 30s is out of range 1m-6h"},
	} {
		if res := s.lambda(append([]string{"config", work}, tt.args...)...); res.code != 1 || !strings.Contains(res.stderr, tt.want) {
			t.Errorf("config %v: exit %d, stderr %q, want %q", tt.args, res.code, res.stderr, tt.want)
		}
	}
	if got := describe(); !same(got, want) {
		t.Errorf("refused changes changed the settings: %+v", got)
	}

	out := s.mustLambda("config", work, "--max-retries", "0", "--max-event-age", "1h", "--async-concurrency", "2", "--on-failure", "", "--on-success", dlq).stdout
	if !strings.Contains(out, "Async invocations: max retries 0, retry delay 2s (doubling), max event age 1h, async concurrency 2, on success "+dlq+", on failure none") {
		t.Errorf("config output:\n%s", out)
	}
	want = settings{MaxRetries: ptr(0), RetryDelay: "2s", MaxEventAge: "1h0m0s", AsyncConcurrency: 2, OnSuccess: dlq}
	if got := describe(); !same(got, want) {
		t.Errorf("after config: %+v, want %+v", got, want)
	}

	// lambda.yaml keys, on a redeploy of the same function from a
	// directory; a key it leaves out keeps its value.
	dir := t.TempDir()
	files := map[string]string{
		"lambda.yaml": "name: " + work + "\nruntime: dockerfile\nretry_delay: 0\nmax_retries: 2\non_success: \"\"\n",
		"Dockerfile":  "FROM " + fixtureImage(t) + "\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if res := s.lambda("deploy", dir); res.code != 0 {
		t.Fatalf("deploy with lambda.yaml: exit %d\n%s", res.code, res.stderr)
	}
	want = settings{MaxRetries: ptr(2), RetryDelay: "1m0s", MaxEventAge: "1h0m0s", AsyncConcurrency: 2}
	if got := describe(); !same(got, want) {
		t.Errorf("after the lambda.yaml deploy: %+v, want %+v", got, want)
	}
}
