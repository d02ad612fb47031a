package lambda

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// checkErr fails t unless err matches want: "" for nil, else a substring
// of the message of an EINVALID error (or of code, when want has "code:").
func checkErr(t *testing.T, what string, err error, wantCode, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Errorf("%s = %v, want nil", what, err)
		}
		return
	}
	if err == nil {
		t.Errorf("%s = nil, want an error containing %q", what, want)
		return
	}
	if code := ErrorCode(err); code != wantCode {
		t.Errorf("%s code = %q, want %q (%v)", what, code, wantCode, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%s = %q, want it to contain %q", what, err, want)
	}
}

func TestValidateTimeout(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{time.Second, ""},
		{1500 * time.Millisecond, ""},
		{30 * time.Second, ""},
		{MaxTimeout, ""},
		{0, "timeout 0s is out of range 1s-15m"},
		{time.Nanosecond, "timeout 1ns is out of range 1s-15m"},
		{999 * time.Millisecond, "out of range"},
		{-time.Second, "out of range"},
		{MaxTimeout + time.Millisecond, "timeout 15m0.001s is out of range 1s-15m"},
		{time.Second + time.Microsecond, "timeout 1.000001s is not a whole number of milliseconds"},
	}
	for _, tt := range tests {
		checkErr(t, "ValidateTimeout("+tt.d.String()+")", ValidateTimeout(tt.d), EINVALID, tt.want)
	}
}

func TestValidateIdleTimeout(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, ""}, // the default
		{time.Second, ""},
		{MaxIdleTimeout, ""},
		{time.Millisecond, "idle timeout 1ms is out of range 1s-24h (0 means the default, 5m)"},
		{-time.Second, "out of range"},
		{MaxIdleTimeout + time.Second, "out of range"},
		{90*time.Second + time.Nanosecond, "not a whole number of milliseconds"},
	}
	for _, tt := range tests {
		checkErr(t, "ValidateIdleTimeout("+tt.d.String()+")", ValidateIdleTimeout(tt.d), EINVALID, tt.want)
		// The same rule through the settings a user changes.
		d := Duration(tt.d)
		err := ScalingPatch{IdleTimeout: &d}.Apply(Scaling{}).Validate()
		checkErr(t, "Scaling.Validate(idle "+tt.d.String()+")", err, EINVALID, tt.want)
	}
}

func TestValidateEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"none", nil, ""},
		{"plain", map[string]string{"GREETING": "hi", "AWS_REGION": "eu-west-3", "TZ": "Europe/Paris", "lambda_x": "1"}, ""},
		{"empty value", map[string]string{"EMPTY": ""}, ""},
		{"at the limit", map[string]string{"BIG": strings.Repeat("x", MaxEnvBytes-3)}, ""},
		{"PORT", map[string]string{"PORT": "9000"}, "environment variable PORT is reserved: the platform sets it to the function's port: use --port"},
		{"_HANDLER", map[string]string{"_HANDLER": "x"}, "_HANDLER is reserved"},
		{"LAMBDA_", map[string]string{"LAMBDA_FUNCTION_NAME": "x"}, "LAMBDA_FUNCTION_NAME is reserved: names starting with LAMBDA_ are set by the platform"},
		{"AWS_LAMBDA_", map[string]string{"AWS_LAMBDA_RUNTIME_API": "x"}, "names starting with AWS_LAMBDA_"},
		{"bad name", map[string]string{"1X": "x"}, `environment variable name "1X" is invalid`},
		{"empty name", map[string]string{"": "x"}, "name is empty"},
		{"long name", map[string]string{strings.Repeat("N", MaxEnvNameBytes+1): "x"}, "bytes long: the limit is 128"},
		{"NUL", map[string]string{"A": "x\x00y"}, "environment variable A contains a NUL byte"},
		{"one too many bytes", map[string]string{"BIG": strings.Repeat("x", MaxEnvBytes-2)}, "environment is 4097 bytes (names and values): the limit is 4096"},
		{"too large in all", map[string]string{"A": strings.Repeat("x", 3000), "B": strings.Repeat("x", 3000)}, "the limit is 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, "ValidateEnv", ValidateEnv(tt.env), EINVALID, tt.want)
			// Config.Validate applies the same rule.
			err := Config{Env: tt.env}.WithDefaults().Validate()
			checkErr(t, "Config.Validate", err, EINVALID, tt.want)
		})
	}
}

func TestConfigValidateTimeout(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{0, ""} /* unset: the default */, {time.Nanosecond, "out of range 1s-15m"}, {time.Second, ""}} {
		err := Config{Timeout: Duration(tt.d)}.WithDefaults().Validate()
		checkErr(t, "Config.Validate(timeout "+tt.d.String()+")", err, EINVALID, tt.want)
	}
}

func TestValidateVersion(t *testing.T) {
	for n, want := range map[int]string{1: "", 42: "", 0: "version 0 is invalid: versions are numbered from 1", -1: "version -1 is invalid"} {
		checkErr(t, "ValidateVersion", ValidateVersion(n), EINVALID, want)
	}
}

func TestCheckNewSchedule(t *testing.T) {
	existing := []*Schedule{
		{ID: "sch_1", Function: "greet", Cron: "0 * * * *", Timezone: "UTC", Data: json.RawMessage(`{"a":1,"b":[2]}`), Overlap: OverlapSkip},
		{ID: "sch_2", Function: "greet", Cron: "*/5 * * * *", Timezone: "Europe/Paris"},
	}
	full := make([]*Schedule, MaxSchedulesPerFunction)
	for i := range full {
		full[i] = &Schedule{ID: "sch_x", Function: "greet", Cron: "0 0 * * *", Data: json.RawMessage(`{"n":` + strings.Repeat("1", i+1) + `}`)}
	}
	tests := []struct {
		name     string
		existing []*Schedule
		s        Schedule
		code     string
		want     string
	}{
		{"new cron", existing, Schedule{Function: "greet", Cron: "30 * * * *"}, "", ""},
		{"other data", existing, Schedule{Function: "greet", Cron: "0 * * * *", Data: json.RawMessage(`{"a":2}`)}, "", ""},
		{"other zone", existing, Schedule{Function: "greet", Cron: "*/5 * * * *", Timezone: "UTC"}, "", ""},
		{"other function", existing, Schedule{Function: "hello", Cron: "*/5 * * * *", Timezone: "Europe/Paris"}, "", ""},
		{"identical", existing, Schedule{Function: "greet", Cron: "0 * * * *", Data: json.RawMessage(`{"b":[2], "a":1}`), Overlap: OverlapAllow}, ECONFLICT,
			`function "greet" already has this schedule (id sch_1, cron "0 * * * *", time zone UTC, same data)`},
		{"identical but spacing", existing, Schedule{Function: "greet", Cron: " */5  *  * * * ", Timezone: "Europe/Paris", Data: json.RawMessage(`{}`)}, ECONFLICT, "id sch_2"},
		{"at the limit", full[:MaxSchedulesPerFunction-1], Schedule{Function: "greet", Cron: "1 * * * *"}, "", ""},
		{"over the limit", full, Schedule{Function: "greet", Cron: "1 * * * *"}, EINVALID,
			`function "greet" has 20 schedules: the limit is 20; delete one with "lambda schedule delete ID"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, "CheckNewSchedule", CheckNewSchedule(tt.existing, &tt.s), tt.code, tt.want)
		})
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{15 * time.Minute: "15m", 24 * time.Hour: "24h", time.Second: "1s", 90 * time.Second: "1m30s", 500 * time.Millisecond: "500ms"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
