package cron

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
	robfig "github.com/netresearch/go-cron"
)

// explain turns the library's message about field f (written w) into one a
// user can act on. Messages it does not know are passed on with the field
// named, so a new library wording degrades to less friendly, never wrong.
func explain(f field, w string, err error) error {
	msg := err.Error()
	var n, m int
	switch {
	case scan(msg, "end of range (%d) above maximum (%d)", &n, &m),
		scan(msg, "beginning of range (%d) below minimum (%d)", &n, &m):
		return fmt.Errorf("%s %d is out of range %d-%d%s", f.name, n, f.min, f.max, f.hint)
	case scan(msg, "beginning of range (%d) beyond end of range (%d)", &n, &m):
		return fmt.Errorf("%s range %q starts after it ends", f.name, w)
	case strings.HasPrefix(msg, "step of range must be a positive number"):
		return fmt.Errorf("%s field %q has a step of 0: a step must be a positive number", f.name, w)
	case scan(msg, "step (%d) must be less than range size (%d)", &n, &m):
		return fmt.Errorf("%s field %q has step %d, which must be less than the %d values it steps over", f.name, w, n, m)
	case strings.HasPrefix(msg, "too many hyphens"):
		return fmt.Errorf("%s field %q has more than one '-' in a range", f.name, w)
	case strings.HasPrefix(msg, "too many slashes"):
		return fmt.Errorf("%s field %q has more than one '/' in a step", f.name, w)
	case strings.HasPrefix(msg, "extended day-of-month syntax"):
		return fmt.Errorf("%s field %q uses L or W, which are not supported: use day numbers, ranges and lists", f.name, w)
	case strings.HasPrefix(msg, "#n/#L syntax"):
		return fmt.Errorf("%s field %q uses #, which is not supported: use day names or numbers, ranges and lists", f.name, w)
	}
	if rest, ok := strings.CutPrefix(msg, "failed to parse int from "); ok {
		v, _ := strconv.QuotedPrefix(rest)
		v, _ = strconv.Unquote(v)
		switch {
		case v == "":
			return fmt.Errorf("%s field %q has a '-' or '/' with nothing on one side", f.name, w)
		case errors.Is(err, strconv.ErrRange):
			return fmt.Errorf("%s %s is out of range %d-%d%s", f.name, v, f.min, f.max, f.hint)
		}
		return fmt.Errorf("%s value %q is not a number%s", f.name, v, f.hint)
	}
	return fmt.Errorf("%s field %q is invalid: %s", f.name, w, msg)
}

// scan reports whether msg starts with the format's text, filling args.
func scan(msg, format string, args ...any) bool {
	n, err := fmt.Sscanf(msg, format, args...)
	return err == nil && n == len(args)
}

// wildcard is the bit the library sets in a field written as "*" (its
// unexported starBit); TestNextDST fails if that ever changes.
const wildcard = 1 << 63

// next returns the first activation of sched after t. Like ISC cron, when
// the clock falls back an hour a job at a fixed time of day runs only the
// first time its wall-clock time comes round, not again in the repeat.
func next(expr string, sched robfig.Schedule, t time.Time) (time.Time, error) {
	n := sched.Next(t)
	if spec, ok := sched.(*robfig.SpecSchedule); ok && spec.Hour&wildcard == 0 && spec.Minute&wildcard == 0 {
		for i := 0; i < 8 && !n.IsZero() && repeatsWallClock(n); i++ {
			n = sched.Next(n)
		}
	}
	if n.IsZero() {
		return time.Time{}, lambda.Errorf(lambda.EINVALID,
			"cron expression %q never fires (such as day 30 of February): check its day-of-month and month fields", expr)
	}
	return n, nil
}

// repeatsWallClock reports whether the wall-clock time of t already happened
// shortly before, in the hour the clock fell back.
func repeatsWallClock(t time.Time) bool {
	_, off := t.Zone()
	for _, back := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
		_, before := t.Add(-back).Zone()
		if time.Duration(before-off)*time.Second == back {
			return true
		}
	}
	return false
}
