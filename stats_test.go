package lambda

import (
	"strings"
	"testing"
	"time"
)

func TestParseStatsWindow(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    string
		buckets int
		step    time.Duration
		err     bool
	}{
		{in: "", want: "1h", buckets: 60, step: time.Minute},
		{in: "1h", want: "1h", buckets: 60, step: time.Minute},
		{in: "24h", want: "24h", buckets: 48, step: 30 * time.Minute},
		{in: "7d", want: "7d", buckets: 56, step: 3 * time.Hour},
		{in: "1d", err: true},
		{in: "1H", err: true},
		{in: " 1h", err: true},
		{in: "60m", err: true},
		{in: "168h", err: true},
		{in: "-1h", err: true},
	} {
		w, err := ParseStatsWindow(tc.in)
		if tc.err {
			if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "use 1h, 24h, 7d") {
				t.Errorf("ParseStatsWindow(%q) = %v, want EINVALID listing the windows", tc.in, err)
			}
			continue
		}
		if err != nil || w.Name != tc.want || w.Buckets() != tc.buckets || w.Step != tc.step {
			t.Errorf("ParseStatsWindow(%q) = %+v (%d buckets), %v; want %s, %d buckets of %s", tc.in, w, w.Buckets(), err, tc.want, tc.buckets, tc.step)
		}
	}
}

// Every window's step divides a day and its span, so buckets start at the
// same times every day and no bucket is cut.
func TestStatsWindowsAlign(t *testing.T) {
	for _, w := range StatsWindows {
		if (24*time.Hour)%w.Step != 0 || w.Span%w.Step != 0 || w.Span > StatsRetention {
			t.Errorf("window %s: step %s, span %s", w.Name, w.Step, w.Span)
		}
	}
}

func TestStatsCountsCount(t *testing.T) {
	for _, tc := range []struct {
		name string
		inv  Invocation
		want StatsCounts
	}{
		{"success", Invocation{Status: StatusSucceeded, Version: 1}, StatsCounts{Invocations: 1}},
		{"cold success", Invocation{Status: StatusSucceeded, Version: 1, Cold: true}, StatsCounts{Invocations: 1, ColdStarts: 1}},
		{"function error", Invocation{Status: StatusFailed, Version: 1, ErrorType: EFUNCTION}, StatsCounts{Invocations: 1, Errors: 1}},
		{"timeout", Invocation{Status: StatusFailed, Version: 1, ErrorType: ETIMEOUT}, StatsCounts{Invocations: 1, Errors: 1}},
		{"5xx answer", Invocation{Status: StatusFailed, Version: 1}, StatsCounts{Invocations: 1, Errors: 1}},
		{"platform", Invocation{Status: StatusFailed, ErrorType: EUNAVAILABLE}, StatsCounts{Invocations: 1, Errors: 1}},
		{"throttle", Invocation{Status: StatusFailed, ErrorType: ETHROTTLED}, StatsCounts{Invocations: 1, Throttles: 1}},
		{"unauthorized", Invocation{Status: StatusFailed, ErrorType: EUNAUTHORIZED}, StatsCounts{Invocations: 1}},
		{"canceled", Invocation{Status: StatusFailed, Version: 1, ErrorType: "canceled"}, StatsCounts{Invocations: 1}},
	} {
		var c StatsCounts
		c.Count(&tc.inv)
		if c != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, c, tc.want)
		}
	}
}
