package drivertest

import (
	"os"
	"testing"
)

// SkipOrFailWithoutDocker ends a test that needs Docker when err (from
// creating or pinging a driver) says Docker is missing: a skip on a
// developer's machine, a failure when CI=true, because CI must not go green
// by skipping the tests that matter.
func SkipOrFailWithoutDocker(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("Docker is required when CI=true: %v", err)
	}
	t.Skipf("Docker is not available, skipping (set CI=true to make this a failure): %v", err)
}
