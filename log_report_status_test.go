package lambda

import (
	"strings"
	"testing"
	"time"
)

// A timed-out invocation's REPORT line ends with Lambda's "Status: timeout"
// field, which readers of Lambda's logs (CloudWatch Logs Insights queries,
// log tools) count timeouts by; a success, or a failure of another kind,
// has no Status field, as on Lambda for a handled error.
func TestReportLineStatus(t *testing.T) {
	base := Invocation{ID: "id-1", Version: 1, Duration: 3 * time.Second, MemoryMB: 128}
	for _, c := range []struct {
		name   string
		status string
		etype  string
		want   string
	}{
		{"timeout", StatusFailed, ETIMEOUT, "\tMemory Size: 128 MB\tStatus: timeout\t"},
		{"success", StatusSucceeded, "", "\tMemory Size: 128 MB\t"},
		{"function error", StatusFailed, EFUNCTION, "\tMemory Size: 128 MB\t"},
	} {
		t.Run(c.name, func(t *testing.T) {
			inv := base
			inv.Status, inv.ErrorType = c.status, c.etype
			got := ReportLine(&inv)
			if !strings.HasSuffix(got, c.want) {
				t.Errorf("%q\nwant it to end with %q", got, c.want)
			}
		})
	}
	// The field comes last, after Init Duration, as on Lambda.
	inv := base
	inv.Status, inv.ErrorType, inv.Cold, inv.InitDuration, inv.Duration = StatusFailed, ETIMEOUT, true, time.Second, 4*time.Second
	if got := ReportLine(&inv); !strings.HasSuffix(got, "\tInit Duration: 1000.00 ms\tStatus: timeout\t") {
		t.Errorf("cold timeout: %q", got)
	}
}
