package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// A function behind the shim runs as the shim's user and can write to the
// container's output itself (/proc/1/fd/1), past the shim's frames: a
// frame it forges must not file its line under an invocation of its
// choosing. The line is kept, with no invocation; its own honest line
// keeps its invocation.
func TestHostileFunctionForgesShimFrames(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	name := s.fn("hforge")
	s.mustLambda("deploy", "testdata/python-forge", "--name", name)
	marker := fmt.Sprintf("forge-%d", time.Now().UnixNano())
	forged := "forged-" + marker
	res := s.mustLambda("invoke", name, "--data", fmt.Sprintf(`{"forge":%q,"marker":%q}`, forged, marker))
	var out struct {
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || out.RequestID == "" {
		t.Fatalf("invoke printed %q: %v", res.stdout, err)
	}

	var fake, genuine *lambda.LogLine
	deadline := time.Now().Add(10 * time.Second)
	for fake == nil || genuine == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the forged line (%v) or the genuine one (%v) never stored", fake, genuine)
		}
		time.Sleep(100 * time.Millisecond)
		for _, l := range s.logLines(t, name) {
			switch l.Message {
			case "FORGED " + marker:
				fake = &l
			case "genuine " + marker:
				genuine = &l
			}
		}
	}
	if fake.Invocation != "" {
		t.Errorf("the forged line is filed under invocation %q, want none", fake.Invocation)
	}
	if genuine.Invocation != out.RequestID {
		t.Errorf("the genuine line is filed under %q, want its invocation %s", genuine.Invocation, out.RequestID)
	}
	if res := s.lambda("logs", name, "--invocation", forged); res.code == 0 || strings.Contains(res.stdout, "FORGED") {
		t.Errorf("lambda logs --invocation %s: exit %d, %q; want no lines", forged, res.code, res.stdout)
	}
}
