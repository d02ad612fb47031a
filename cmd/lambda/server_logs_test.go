package main

import (
	"testing"
	"time"
)

func TestLogOptions(t *testing.T) {
	for _, tc := range []struct {
		retention, maxBytes string
		want                logLimits
		ok                  bool
	}{
		{"7d", "50MB", logLimits{7 * 24 * time.Hour, 50 << 20}, true},
		{"24h", "1GiB", logLimits{24 * time.Hour, 1 << 30}, true},
		{"1m", "2048k", logLimits{time.Minute, 2 << 20}, true},
		{"1h", "1048576", logLimits{time.Hour, 1 << 20}, true},
		{"30s", "50MB", logLimits{}, false},
		{"soon", "50MB", logLimits{}, false},
		{"7d", "100KB", logLimits{}, false},
		{"7d", "lots", logLimits{}, false},
		{"7d", "-5MB", logLimits{}, false},
	} {
		got, err := logOptions{retention: tc.retention, maxBytes: tc.maxBytes}.parse()
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parse(%q, %q) = %+v, %v; want %+v, ok %v", tc.retention, tc.maxBytes, got, err, tc.want, tc.ok)
		}
	}
}
