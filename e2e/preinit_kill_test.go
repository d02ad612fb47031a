package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// checkKilledGenericReplaced: a generic instance of runtime killed while
// it waits (docker kill) leaves the pool at once: the server logs it,
// removes its container and starts another, and the next cold start of
// name is served by a live generic instance. Before, the dead container
// stayed in the pool until a cold start took it and its init failed.
func checkKilledGenericReplaced(t *testing.T, s *server, name, runtime string) {
	t.Helper()
	var victim string
	waitFor(t, 2*time.Minute, func() bool { victim = s.waitingGeneric(runtime, ""); return victim != "" })
	mark, killed := len(s.logs.String()), time.Now()
	docker(t, "kill", victim)
	since := func() []string { return strings.Split(s.logs.String()[mark:], "\n") }
	waitFor(t, time.Minute, func() bool {
		return slices.ContainsFunc(since(), func(line string) bool {
			return strings.Contains(line, "pre-initialized instance exited while it waited") && strings.Contains(line, "container="+victim)
		})
	})
	waitFor(t, time.Minute, func() bool { return docker(t, "ps", "-aq", "--filter", "id="+victim) == "" })
	waitFor(t, 2*time.Minute, func() bool {
		return slices.ContainsFunc(since(), func(line string) bool {
			return strings.Contains(line, `msg="pre-initialized instance waiting" runtime=`+runtime+" ")
		})
	})
	t.Logf("the killed generic instance was removed and replaced in %s", time.Since(killed).Round(time.Millisecond))
	if _, container := s.preinitColdStart(t, name, runtime); strings.HasPrefix(container, victim) {
		t.Fatalf("the cold start of %s was served by the killed container %s", name, victim)
	}
	t.Logf("and a cold start served by a live one %s after the kill", time.Since(killed).Round(time.Millisecond))
}

// waitingGeneric returns a running generic instance of runtime waiting in
// the server's pool (logged "pre-initialized instance waiting", and no
// "instance ready ... preinit=true" since: not given to a function),
// other than not; "" when none.
func (s *server) waitingGeneric(runtime, not string) string {
	s.t.Helper()
	ids := strings.Fields(docker(s.t, "ps", "-q", "--filter", "label=lambda.server="+s.namespace(), "--filter", "label=lambda.preinit="+runtime))
	waiting := map[string]bool{}
	for _, line := range strings.Split(s.logs.String(), "\n") {
		for _, id := range ids {
			if !strings.Contains(line, "container="+id[:12]) {
				continue
			}
			switch {
			case strings.Contains(line, "pre-initialized instance waiting"):
				waiting[id] = true
			case strings.Contains(line, "preinit=true"):
				waiting[id] = false
			}
		}
	}
	for _, id := range ids {
		if waiting[id] && id != not {
			return id
		}
	}
	return ""
}
