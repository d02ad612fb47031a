package main

import (
	"strings"
	"testing"
)

// A refused --log-retention says what is accepted: "200000d" was refused
// with "use a duration of at least 1m", which it is; the bound it passed
// is 100000 days. The default is written as the help writes it.
func TestLogRetentionRefusalNamesTheBounds(t *testing.T) {
	for _, v := range []string{"200000d", "30s", "soon"} {
		_, err := logOptions{retention: v, maxBytes: "50MB"}.parse()
		if err == nil || !strings.Contains(err.Error(), "at least 1m and at most 100000d") || !strings.Contains(err.Error(), "(default 7d)") {
			t.Errorf("--log-retention %s: %v; want the bounds and the default named", v, err)
		}
	}
}
