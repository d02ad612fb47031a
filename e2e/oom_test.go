package e2e

import (
	"strings"
	"testing"
)

// TestOutOfMemory: a function that allocates past its memory limit is
// killed by the kernel; the client is told so, with the limit, rather
// than "failed to answer: EOF", and the next request gets a new instance.
func TestOutOfMemory(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	name := s.fn("oom")
	s.mustLambda("deploy", "--image", goImage(t, "memhog"), "--name", name, "--memory", "32m")

	resp, body := s.request("GET", s.host(name), "/hog", nil)
	if resp.StatusCode != 502 || !strings.Contains(body, "ran out of memory") || !strings.Contains(body, "32m") {
		t.Errorf("a request that ran the function out of memory: %d %s; want 502 saying it ran out of memory (limit 32m)", resp.StatusCode, body)
	}
	if resp, body := s.request("GET", s.host(name), "/", nil); resp.StatusCode != 200 {
		t.Errorf("the request after the out-of-memory kill: %d %s, want 200 from a new instance", resp.StatusCode, body)
	}
	s.mustLambda("delete", name)
}
