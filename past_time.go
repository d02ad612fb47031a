package lambda

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDays is time.ParseDuration that also takes a whole number of days
// ("7d"): retentions and look-backs are thought of in days.
func ParseDays(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100_000 {
			return 0, fmt.Errorf("bad number of days %q", days)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// ParsePastTime reads a point in the past (a --since or ?since=): a
// positive duration back from now ("30m", "24h", "7d") or an RFC 3339 time.
func ParsePastTime(v string, now time.Time) (time.Time, error) {
	if d, err := ParseDays(v); err == nil {
		if d <= 0 {
			return time.Time{}, Errorf(EINVALID, "use a positive duration such as 30m, 24h or 7d, or an RFC 3339 time")
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, Errorf(EINVALID, "use a duration back from now such as 30m, 24h or 7d, or an RFC 3339 time such as 2026-12-05T10:00:00Z")
	}
	return t, nil
}
