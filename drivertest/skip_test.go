package drivertest

import (
	"testing"
)

// recordingTB stands in for a test to see how SkipOrFail ends it.
type recordingTB struct {
	testing.TB
	failed, skipped bool
}

func (r *recordingTB) Helper()                      {}
func (r *recordingTB) Fatalf(string, ...any)        { r.failed = true }
func (r *recordingTB) Skipf(string, ...any)         { r.skipped = true }
func (r *recordingTB) Logf(format string, a ...any) {}

func TestSkipOrFail(t *testing.T) {
	for _, tc := range []struct {
		ci              string
		failed, skipped bool
	}{
		{ci: "true", failed: true},
		{ci: "", skipped: true},
		// Only "true" is CI: .ci/run sets it, and anything else is a
		// developer's machine (this is why .ci/run must not inherit CI=1).
		{ci: "1", skipped: true},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recordingTB{TB: t}
			SkipOrFail(r, "no %s", "thing")
			if r.failed != tc.failed || r.skipped != tc.skipped {
				t.Errorf("failed=%v skipped=%v, want %v %v", r.failed, r.skipped, tc.failed, tc.skipped)
			}
			r = &recordingTB{TB: t}
			if LookPath(r, "go-no-such-command-h7"); r.failed != tc.failed || r.skipped != tc.skipped {
				t.Errorf("LookPath: failed=%v skipped=%v, want %v %v", r.failed, r.skipped, tc.failed, tc.skipped)
			}
		})
	}
}
