// Package cron runs schedules: it parses cron expressions and queues an
// asynchronous invocation of a function each time its schedule comes due.
package cron

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	// Zone names must mean the same on every host, including a scratch
	// container without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/lambdahq/lambda"
	robfig "github.com/netresearch/go-cron"
)

// Parser implements lambda.CronParser.
type Parser struct{}

var _ lambda.CronParser = Parser{}

// Next returns the first activation of expr strictly after t, computed in
// the time zone tz ("" is UTC). An expression that never fires is an error.
func (Parser) Next(expr, tz string, t time.Time) (time.Time, error) {
	sched, loc, err := compile(expr, tz)
	if err != nil {
		return time.Time{}, err
	}
	return next(expr, sched, t.In(loc))
}

// Validate reports whether expr and tz form a usable schedule: nil, or an
// *lambda.Error with code EINVALID that says what is wrong.
func Validate(expr, tz string) error {
	sched, loc, err := compile(expr, tz)
	if err != nil {
		return err
	}
	_, err = next(expr, sched, time.Now().In(loc))
	return err
}

const (
	maxExprLen = 256
	maxZoneLen = 64
	usage      = `use 5 fields "minute hour day-of-month month day-of-week" (e.g. "0 * * * *"), ` +
		`6 with a leading seconds field, or a descriptor such as @hourly or "@every 30s"`
	descriptors = "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>"
)

// options gives the classic Vixie semantics: an optional seconds field and
// day-of-month OR day-of-week when both are restricted.
const options = robfig.SecondOptional | robfig.Minute | robfig.Hour | robfig.Dom |
	robfig.Month | robfig.Dow | robfig.Descriptor | robfig.DowOrDom

func newParser() robfig.Parser { return robfig.MustNewParser(options) }

func invalid(expr, format string, args ...any) error {
	return lambda.Errorf(lambda.EINVALID, "cron expression %q: %s", expr, fmt.Sprintf(format, args...))
}

// compile parses expr in tz. The library is only fed input that passed our
// own checks, and any panic it still raises becomes an EINVALID error.
func compile(expr, tz string) (sched robfig.Schedule, loc *time.Location, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, loc = nil, nil
			err = invalid(expr, "cannot be parsed (%v): %s", r, usage)
		}
	}()
	if loc, err = loadZone(tz); err != nil {
		return nil, nil, err
	}
	e := strings.TrimSpace(expr)
	switch {
	case e == "":
		return nil, nil, lambda.Errorf(lambda.EINVALID, "cron expression is empty: %s", usage)
	case len(e) > maxExprLen:
		return nil, nil, lambda.Errorf(lambda.EINVALID, "cron expression %.40q... is %d characters long: the limit is %d",
			e, len(e), maxExprLen)
	}
	if upper := strings.ToUpper(e); strings.HasPrefix(upper, "CRON_TZ=") || strings.HasPrefix(upper, "TZ=") {
		prefix, _, _ := strings.Cut(e, " ")
		return nil, nil, invalid(expr, "remove the %s prefix and pass the time zone with --tz instead", prefix)
	}
	if strings.HasPrefix(e, "@") {
		sched, err = compileDescriptor(expr, strings.Fields(e))
		return sched, loc, err
	}
	sched, err = compileFields(expr, strings.Fields(e))
	return sched, loc, err
}

func loadZone(tz string) (*time.Location, error) {
	const hint = "use an IANA time zone name such as Europe/Paris or America/New_York, or leave it empty for UTC"
	if tz == "" || tz == "UTC" {
		return time.UTC, nil
	}
	// "Local" would silently tie the schedule to the server's settings, and
	// long or odd names are never IANA zones: keep both away from LoadLocation.
	valid := len(tz) <= maxZoneLen && tz != "Local" && !strings.Contains(tz, "..")
	for _, r := range tz {
		valid = valid && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_-+", r))
	}
	if !valid {
		return nil, lambda.Errorf(lambda.EINVALID, "time zone %.70q is not a valid name: %s", tz, hint)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "time zone %q is unknown: %s", tz, hint)
	}
	return loc, nil
}

func compileDescriptor(expr string, words []string) (robfig.Schedule, error) {
	name := strings.ToLower(words[0])
	if name == "@every" {
		if len(words) != 2 {
			return nil, invalid(expr, "@every takes one duration, such as 30s, 5m or 1h30m")
		}
		d, err := time.ParseDuration(words[1])
		switch {
		case err != nil:
			return nil, invalid(expr, "%q is not a duration: use e.g. 30s, 5m or 1h30m", words[1])
		case d < time.Second:
			return nil, invalid(expr, "@every interval %s is too short: the minimum is 1s", d)
		case d%time.Second != 0:
			return nil, invalid(expr, "@every interval %s is not a whole number of seconds", d)
		}
		return newParser().Parse("@every " + d.String())
	}
	switch name {
	case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly":
	default:
		return nil, invalid(expr, "unknown descriptor %q: use %s", words[0], descriptors)
	}
	if len(words) != 1 {
		return nil, invalid(expr, "descriptor %s takes no fields, got %q after it", name, strings.Join(words[1:], " "))
	}
	return newParser().Parse(name)
}

// field describes one position of a 6-field expression.
type field struct {
	name     string
	min, max int
	hint     string
}

var fields = [6]field{
	{"second", 0, 59, ""},
	{"minute", 0, 59, ""},
	{"hour", 0, 23, ""},
	{"day-of-month", 1, 31, ""},
	{"month", 1, 12, " (or jan-dec)"},
	{"day-of-week", 0, 7, " (0 or 7 is Sunday, or sun-sat)"},
}

func compileFields(expr string, words []string) (robfig.Schedule, error) {
	if n := len(words); n != 5 && n != 6 {
		return nil, invalid(expr, "expected 5 fields, or 6 with seconds, got %d: %s", n, usage)
	}
	six := words
	if len(words) == 5 {
		six = append([]string{"0"}, words...)
	}
	p := newParser()
	for i, w := range six {
		// Lower case: the library takes any "H" as a hash expression, which
		// would reject day names such as THU.
		six[i] = strings.ToLower(w)
		if err := checkField(p, fields[i], i, w); err != nil {
			return nil, invalid(expr, "%s", err)
		}
	}
	sched, err := p.Parse(strings.Join(six, " "))
	if err != nil {
		return nil, invalid(expr, "%s", err)
	}
	return sched, nil
}

// checkField parses one field alone, every other field a wildcard, so that
// an error can name the field it belongs to.
func checkField(p robfig.Parser, f field, i int, w string) error {
	lower := strings.ToLower(w)
	for item := range strings.SplitSeq(w, ",") {
		if item == "" {
			return fmt.Errorf("%s field %q has an empty item in its comma-separated list", f.name, w)
		}
	}
	if err := checkRanges(f, lower); err != nil {
		return err
	}
	probe := []string{"*", "*", "*", "*", "*", "*"}
	probe[i] = lower
	if _, err := p.Parse(strings.Join(probe, " ")); err != nil {
		return explain(f, w, err)
	}
	return nil
}

// names maps the month and day names the library accepts to their values.
var names = map[string]int{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
	"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
}

// checkRanges refuses a range written backwards ("5-1"): the library reads
// it as wrapping around, which few readers of the schedule would guess.
// Values it cannot read are left to the library's own checks.
func checkRanges(f field, w string) error {
	for item := range strings.SplitSeq(w, ",") {
		rng, _, _ := strings.Cut(item, "/")
		lo, hi, ok := strings.Cut(rng, "-")
		if !ok {
			continue
		}
		a, okA := fieldValue(lo)
		b, okB := fieldValue(hi)
		if okA && okB && a > b {
			return fmt.Errorf("%s range %q runs backwards: write the lower value first, or split it in two (%d-%d,%d-%d)", f.name, rng, a, f.max, f.min, b)
		}
	}
	return nil
}

func fieldValue(s string) (int, bool) {
	if n, ok := names[s]; ok {
		return n, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
