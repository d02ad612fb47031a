package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// logOptions bound each function's stored logs (as text until checked).
type logOptions struct {
	retention, maxBytes string
}

// logLimits are logOptions checked.
type logLimits struct {
	retention time.Duration
	maxBytes  int64
}

// minLogBytes keeps a function's cap above a few long lines.
const minLogBytes = 1 << 20

func (o logOptions) parse() (logLimits, error) {
	var l logLimits
	d, err := parseDays(o.retention)
	if err != nil || d < time.Minute {
		return l, fmt.Errorf("--log-retention %q is invalid: use a duration of at least 1m and at most 100000d, such as 24h or 7d (default 7d)", o.retention)
	}
	n, err := parseBytes(o.maxBytes)
	if err != nil || n < minLogBytes {
		return l, fmt.Errorf("--log-max-bytes %q is invalid: use a size of at least 1MB such as 50MB or 1GB (default 50MB)", o.maxBytes)
	}
	return logLimits{retention: d, maxBytes: n}, nil
}

// parseBytes reads a size: a number of bytes with an optional unit, K, M
// or G (powers of 1024), written KB, KiB or K alike.
func parseBytes(s string) (int64, error) {
	v := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		for _, form := range []string{u.suffix + "IB", u.suffix + "B", u.suffix} {
			if rest, ok := strings.CutSuffix(v, form); ok {
				v, mult = strings.TrimSpace(rest), u.mult
				goto number
			}
		}
	}
	v = strings.TrimSuffix(v, "B")
number:
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}
