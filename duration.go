package lambda

import (
	"encoding/json"
	"strings"
	"time"
)

// Duration is a time.Duration that reads and writes JSON as "30s", so API
// documents stay readable. Plain numbers are accepted as nanoseconds.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return Errorf(EINVALID, "duration must be a string like \"30s\"")
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return Errorf(EINVALID, "duration %q is invalid: use a value like 500ms, 30s or 5m", s)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) String() string { return time.Duration(d).String() }

// Bounds of the durations a user sets. Durations are kept to whole
// milliseconds: the platform measures and reports nothing finer, and the
// environment carries the timeout in ms (LAMBDA_FUNCTION_TIMEOUT_MS).
const (
	MinTimeout     = time.Second // as AWS Lambda
	MinIdleTimeout = time.Second
)

// ValidateTimeout checks a function's timeout: MinTimeout to MaxTimeout.
// A zero Config.Timeout means "unset" (the default applies) and is never
// passed here.
func ValidateTimeout(d time.Duration) error {
	return validateDuration("timeout", d, MinTimeout, MaxTimeout)
}

// ValidateIdleTimeout checks an idle timeout: 0 means the default
// (DefaultIdleTimeout), else MinIdleTimeout to MaxIdleTimeout.
func ValidateIdleTimeout(d time.Duration) error {
	if d == 0 {
		return nil
	}
	if err := validateDuration("idle timeout", d, MinIdleTimeout, MaxIdleTimeout); err != nil {
		return Errorf(EINVALID, "%s (0 means the default, %s)", ErrorMessage(err), FormatDuration(DefaultIdleTimeout))
	}
	return nil
}

func validateDuration(what string, d, lo, hi time.Duration) error {
	switch {
	case d < lo || d > hi:
		return Errorf(EINVALID, "%s %s is out of range %s-%s", what, d, FormatDuration(lo), FormatDuration(hi))
	case d%time.Millisecond != 0:
		return Errorf(EINVALID, "%s %s is not a whole number of milliseconds", what, d)
	}
	return nil
}

// FormatDuration renders d without the zero units time.Duration.String
// appends ("15m", not "15m0s").
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
