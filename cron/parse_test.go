package cron

import (
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		expr, tz string
		want     string // "" = valid, else a substring of the error
	}{
		{"0 * * * *", "", ""},
		{"  */15 9-17 * * mon-fri  ", "", ""},
		{"0 9 * * THU", "", ""}, // the library alone reads the H as a hash
		{"0 0 1 JAN,jul *", "", ""},
		{"30 0 * * * *", "", ""},
		{"*/10 * * * * ?", "", ""},
		{"0 0 13 * 5", "", ""},
		{"0 0 * * 7", "", ""},
		{"@yearly", "", ""},
		{"@annually", "", ""},
		{"@monthly", "", ""},
		{"@weekly", "", ""},
		{"@daily", "", ""},
		{"@Midnight", "", ""},
		{"@hourly", "", ""},
		{"@every 30s", "", ""},
		{"@every 1h30m", "", ""},
		{"0 9 * * *", "Europe/Paris", ""},
		{"0 9 * * *", "America/New_York", ""},
		{"0 9 * * *", "UTC", ""},
		{"0 0 29 2 *", "", ""},

		{"", "", "cron expression is empty: use 5 fields"},
		{"   ", "", "cron expression is empty"},
		{"junk", "", "expected 5 fields, or 6 with seconds, got 1"},
		{"* * *", "", "expected 5 fields, or 6 with seconds, got 3"},
		{"* * * * * * *", "", "got 7"},
		{"61 * * * *", "", `cron expression "61 * * * *": minute 61 is out of range 0-59`},
		{"0 24 * * *", "", "hour 24 is out of range 0-23"},
		{"0 0 0 * *", "", "day-of-month 0 is out of range 1-31"},
		{"0 0 32 * *", "", "day-of-month 32 is out of range 1-31"},
		{"0 0 * 13 *", "", "month 13 is out of range 1-12 (or jan-dec)"},
		{"0 0 * * 8", "", "day-of-week 8 is out of range 0-7"},
		{"60 * * * * *", "", "second 60 is out of range 0-59"},
		{"99999999999999999999 * * * *", "", "minute 99999999999999999999 is out of range 0-59"},
		{"a * * * *", "", `minute value "a" is not a number`},
		{"0 0 * foo *", "", `month value "foo" is not a number (or jan-dec)`},
		{"0 0 * * H", "", `day-of-week value "h" is not a number`},
		{"-1 * * * *", "", `minute field "-1" has a '-' or '/' with nothing on one side`},
		{"*/0 * * * *", "", "step of 0"},
		{"*/60 * * * *", "", "step 60, which must be less than the 60 values"},
		{"1-2-3 * * * *", "", "more than one '-'"},
		{"1/2/3 * * * *", "", "more than one '/'"},
		{", * * * *", "", "empty item"},
		{"0 0 L * *", "", `day-of-month field "L" uses L or W, which are not supported`},
		{"0 0 15W * *", "", "uses L or W"},
		{"0 0 * * MON#2", "", `day-of-week field "MON#2" uses #, which is not supported`},
		{"1,,2 * * * *", "", "empty item"},
		// A backwards range wraps around in the library; refused as a likely mistake.
		{"0 0 * * 5-1", "", `day-of-week range "5-1" runs backwards: write the lower value first, or split it in two (5-7,0-1)`},
		{"0 22-2 * * *", "", `hour range "22-2" runs backwards`},
		{"5-1/2 * * * *", "", `minute range "5-1" runs backwards`},
		{"0 0 * * fri-mon", "", `day-of-week range "fri-mon" runs backwards`},
		{"0 0 * dec-jan *", "", `month range "dec-jan" runs backwards: write the lower value first, or split it in two (12-12,1-1)`},
		{"0 0 * * 1,5-1", "", "runs backwards"},
		{"0 0 30 2 *", "", "never fires"},
		{"0 0 31 4,6 *", "", "never fires"},
		{"CRON_TZ=Europe/Paris 0 9 * * *", "", "remove the CRON_TZ=Europe/Paris prefix and pass the time zone with --tz"},
		{"TZ=UTC 0 9 * * *", "", "remove the TZ=UTC prefix"},
		{"CRON_TZ=UTC", "", "--tz"},
		{"@foo", "", `unknown descriptor "@foo"`},
		{"@daily 5", "", "takes no fields"},
		{"@every", "", "@every takes one duration"},
		{"@every 1x", "", `"1x" is not a duration`},
		{"@every 500ms", "", "too short: the minimum is 1s"},
		{"@every -5s", "", "too short"},
		{"@every 1.5s", "", "not a whole number of seconds"},
		{strings.Repeat("1,", 200) + "1 * * * *", "", "characters long"},
		{"0 9 * * *", "Mars/Olympus_Mons", `time zone "Mars/Olympus_Mons" is unknown: use an IANA time zone name`},
		{"0 9 * * *", "Local", "is not a valid name"},
		{"0 9 * * *", "../../etc/passwd", "is not a valid name"},
		{"0 9 * * *", "Europe/Paris\n", "is not a valid name"},
	}
	for _, tt := range tests {
		err := Validate(tt.expr, tt.tz)
		if tt.want == "" {
			if err != nil {
				t.Errorf("Validate(%q, %q) = %v, want nil", tt.expr, tt.tz, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("Validate(%q, %q) = nil, want an error containing %q", tt.expr, tt.tz, tt.want)
			continue
		}
		if code := lambda.ErrorCode(err); code != lambda.EINVALID {
			t.Errorf("Validate(%q, %q) code = %q, want %q (%v)", tt.expr, tt.tz, code, lambda.EINVALID, err)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%q, %q) = %q, want it to contain %q", tt.expr, tt.tz, err, tt.want)
		}
	}
}

func TestNext(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatalf("Europe/Paris: %v (the package embeds time/tzdata)", err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name, expr, tz string
		from           time.Time
		want           []string // successive activations, RFC 3339 (compared as instants)
	}{
		{"hourly", "0 * * * *", "", utc("2024-01-01T10:00:00Z"),
			[]string{"2024-01-01T11:00:00Z", "2024-01-01T12:00:00Z"}},
		{"strictly after a fraction of a second", "* * * * * *", "", utc("2024-01-01T10:00:00.5Z"),
			[]string{"2024-01-01T10:00:01Z", "2024-01-01T10:00:02Z"}},
		{"seconds field", "30 0 12 * * *", "", utc("2024-01-01T00:00:00Z"),
			[]string{"2024-01-01T12:00:30Z", "2024-01-02T12:00:30Z"}},
		{"descriptor in a zone", "@daily", "Europe/Paris", utc("2024-01-01T12:00:00Z"),
			[]string{"2024-01-01T23:00:00Z", "2024-01-02T23:00:00Z"}},
		{"every", "@every 90s", "", utc("2024-01-01T00:00:00.25Z"),
			[]string{"2024-01-01T00:01:30Z", "2024-01-01T00:03:00Z"}},
		{"weekday names", "0 9 * * MON,THU", "", utc("2024-01-01T10:00:00Z"), // a Monday
			[]string{"2024-01-04T09:00:00Z", "2024-01-08T09:00:00Z"}},
		// Vixie cron: with both day fields restricted, either one matches.
		// In October 2024 the 13th is a Sunday; Fridays are 4, 11, 18, 25.
		{"day-of-month OR day-of-week", "0 0 13 * 5", "", utc("2024-10-01T00:00:00Z"),
			[]string{"2024-10-04T00:00:00Z", "2024-10-11T00:00:00Z", "2024-10-13T00:00:00Z", "2024-10-18T00:00:00Z"}},
		{"day-of-week alone", "0 0 * * 5", "", utc("2024-10-01T00:00:00Z"),
			[]string{"2024-10-04T00:00:00Z", "2024-10-11T00:00:00Z", "2024-10-18T00:00:00Z"}},
		{"leap day", "0 0 29 2 *", "", utc("2024-03-01T00:00:00Z"),
			[]string{"2028-02-29T00:00:00Z"}},
		// Paris springs forward at 02:00 CET on 2024-03-31: 02:30 does not exist.
		{"DST gap", "30 2 * * *", "Europe/Paris", utc("2024-03-30T12:00:00Z"),
			[]string{"2024-03-31T01:30:00Z", "2024-04-01T00:30:00Z"}},
		// Paris falls back at 03:00 CEST on 2024-10-27: 02:30 comes twice, the
		// daily job runs once.
		{"DST repeat, fixed time", "30 2 * * *", "Europe/Paris", utc("2024-10-26T12:00:00Z"),
			[]string{"2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"}},
		{"DST repeat, two fixed times", "0,30 2 * * *", "Europe/Paris", utc("2024-10-26T12:00:00Z"),
			[]string{"2024-10-27T00:00:00Z", "2024-10-27T00:30:00Z", "2024-10-28T01:00:00Z"}},
		// ...while an hourly job runs every real hour.
		{"DST repeat, hourly", "0 * * * *", "Europe/Paris", utc("2024-10-26T23:30:00Z"),
			[]string{"2024-10-27T00:00:00Z", "2024-10-27T01:00:00Z", "2024-10-27T02:00:00Z"}},
		{"DST repeat, wildcard minute", "* 2 * * *", "Europe/Paris", utc("2024-10-27T00:58:00Z"),
			[]string{"2024-10-27T00:59:00Z", "2024-10-27T01:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.from
			for i, w := range tt.want {
				got, err := Parser{}.Next(tt.expr, tt.tz, at)
				if err != nil {
					t.Fatalf("Next #%d: %v", i, err)
				}
				if !got.Equal(utc(w)) {
					t.Fatalf("Next #%d after %s = %s, want %s", i, at.UTC().Format(time.RFC3339), got.UTC().Format(time.RFC3339), w)
				}
				if tt.tz == "Europe/Paris" && got.Location().String() != paris.String() {
					t.Errorf("Next #%d is in %s, want the schedule's zone", i, got.Location())
				}
				at = got
			}
		})
	}
}

func TestNextErrors(t *testing.T) {
	for _, tt := range []struct{ expr, tz, want string }{
		{"0 0 30 2 *", "", "never fires"},
		{"61 * * * *", "", "minute 61"},
		{"0 * * * *", "Nowhere/Town", "unknown"},
	} {
		_, err := Parser{}.Next(tt.expr, tt.tz, time.Now())
		if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Next(%q, %q) error = %v, want EINVALID containing %q", tt.expr, tt.tz, err, tt.want)
		}
	}
}

func FuzzValidate(f *testing.F) {
	for _, s := range []string{"0 * * * *", "*/5 1-3,7 L * MON#2", "@every 1s", "CRON_TZ=UTC", "TZ=", "@",
		"1-2-3/4/5 * * * * *", "H H * * *", "? ? ? ? ?", "0 0 30 2 *", "22-2/3 * * * *"} {
		f.Add(s, "")
	}
	f.Add("0 * * * *", "Europe/Paris")
	f.Fuzz(func(t *testing.T, expr, tz string) {
		err := Validate(expr, tz)
		if err != nil && lambda.ErrorCode(err) != lambda.EINVALID {
			t.Fatalf("Validate(%q, %q) code %q: %v", expr, tz, lambda.ErrorCode(err), err)
		}
		if err == nil {
			if _, err := (Parser{}).Next(expr, tz, time.Now()); err != nil {
				t.Fatalf("Validate(%q, %q) passed but Next failed: %v", expr, tz, err)
			}
		}
	})
}
