package drivertest

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run under CI=true, where a missing
// dependency is a failure: CI must not go green by skipping the tests that
// matter. Only the exact value "true" counts, and .ci/run sets it.
func InCI() bool { return os.Getenv("CI") == "true" }

// SkipOrFail ends a test whose dependency (Docker, an interpreter, an
// image...) is missing: a skip on a developer's machine, a failure when
// CI=true. Every test that can lack a dependency ends through here, so that
// no skip slips past CI.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("%s (required when CI=true)", msg)
		return
	}
	t.Skipf("%s: skipping (set CI=true to make this a failure)", msg)
}

// SkipOrFailWithoutDocker ends a test that needs Docker when err (from
// creating or pinging a driver) says Docker is missing.
func SkipOrFailWithoutDocker(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		SkipOrFail(t, "Docker is not available: %v", err)
	}
}

// LookPath is the path of the command name, ending the test through
// SkipOrFail when the host lacks it.
func LookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		SkipOrFail(t, "no %s on this host", name)
	}
	return p
}
