package lambda

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestScalingValidateAsync(t *testing.T) {
	n := func(v int) *int { return &v }
	tests := []struct {
		name string
		s    Scaling
		want string // "" valid, else the message
	}{
		{"defaults", Scaling{}, ""},
		{"no retries", Scaling{MaxRetries: n(0)}, ""},
		{"most retries", Scaling{MaxRetries: n(2)}, ""},
		{"too many retries", Scaling{MaxRetries: n(3)}, "max retries 3 is out of range 0-2"},
		{"negative retries", Scaling{MaxRetries: n(-1)}, "max retries -1 is out of range 0-2"},
		{"shortest retry delay", Scaling{RetryDelay: Duration(time.Second)}, ""},
		{"longest retry delay", Scaling{RetryDelay: Duration(time.Hour)}, ""},
		{"retry delay too short", Scaling{RetryDelay: Duration(500 * time.Millisecond)}, "retry delay 500ms is out of range 1s-1h (0 means the default, 1m)"},
		{"retry delay too long", Scaling{RetryDelay: Duration(2 * time.Hour)}, "retry delay 2h0m0s is out of range 1s-1h (0 means the default, 1m)"},
		{"negative retry delay", Scaling{RetryDelay: Duration(-time.Second)}, "retry delay -1s is out of range 1s-1h (0 means the default, 1m)"},
		{"retry delay below a millisecond", Scaling{RetryDelay: Duration(time.Second + time.Microsecond)}, "retry delay 1.000001s is not a whole number of milliseconds (0 means the default, 1m)"},
		{"shortest event age", Scaling{MaxEventAge: Duration(time.Minute)}, ""},
		{"longest event age", Scaling{MaxEventAge: Duration(6 * time.Hour)}, ""},
		{"event age too short", Scaling{MaxEventAge: Duration(59 * time.Second)}, "max event age 59s is out of range 1m-6h (0 means the default, 6h)"},
		{"event age too long", Scaling{MaxEventAge: Duration(7 * time.Hour)}, "max event age 7h0m0s is out of range 1m-6h (0 means the default, 6h)"},
		{"async concurrency", Scaling{AsyncConcurrency: 5}, ""},
		{"async concurrency at the limit", Scaling{AsyncConcurrency: MaxConcurrency * MaxInstancesLimit}, ""},
		{"async concurrency over the limit", Scaling{AsyncConcurrency: MaxConcurrency*MaxInstancesLimit + 1}, "async concurrency 1000001 is out of range 0-1000000 (0 means the function's whole capacity)"},
		{"negative async concurrency", Scaling{AsyncConcurrency: -1}, "async concurrency -1 is out of range 0-1000000 (0 means the function's whole capacity)"},
		{"destinations", Scaling{OnSuccess: "audit", OnFailure: "dlq-1"}, ""},
		{"bad on_success", Scaling{OnSuccess: "Audit"}, `on_success: function name "Audit" contains 'A'`},
		{"bad on_failure", Scaling{OnFailure: "-dlq"}, `on_failure: function name "-dlq"`},
		{"pool errors come first", Scaling{Concurrency: -1, MaxRetries: n(9)}, "concurrency -1 is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v, want nil", err)
			case tt.want == "":
				return
			case err == nil:
				t.Fatalf("Validate accepted %+v, want %q", tt.s, tt.want)
			case ErrorCode(err) != EINVALID:
				t.Errorf("code %q, want invalid", ErrorCode(err))
			}
			if !strings.HasPrefix(ErrorMessage(err), tt.want) {
				t.Errorf("message %q, want it to start with %q", ErrorMessage(err), tt.want)
			}
		})
	}
}

func TestScalingPatchAsync(t *testing.T) {
	n := func(v int) *int { return &v }
	d := func(v time.Duration) *Duration { x := Duration(v); return &x }
	str := func(v string) *string { return &v }
	base := Scaling{MaxRetries: n(1), RetryDelay: Duration(time.Second), MaxEventAge: Duration(time.Hour), AsyncConcurrency: 3, OnSuccess: "ok", OnFailure: "dlq"}
	tests := []struct {
		name  string
		patch ScalingPatch
		want  Scaling
	}{
		{"nothing", ScalingPatch{}, base},
		{"retries to 0", ScalingPatch{MaxRetries: n(0)},
			Scaling{MaxRetries: n(0), RetryDelay: base.RetryDelay, MaxEventAge: base.MaxEventAge, AsyncConcurrency: 3, OnSuccess: "ok", OnFailure: "dlq"}},
		{"durations", ScalingPatch{RetryDelay: d(2 * time.Second), MaxEventAge: d(time.Minute)},
			Scaling{MaxRetries: n(1), RetryDelay: Duration(2 * time.Second), MaxEventAge: Duration(time.Minute), AsyncConcurrency: 3, OnSuccess: "ok", OnFailure: "dlq"}},
		{"back to the defaults", ScalingPatch{RetryDelay: d(0), MaxEventAge: d(0), AsyncConcurrency: n(0)},
			Scaling{MaxRetries: n(1), OnSuccess: "ok", OnFailure: "dlq"}},
		{"remove destinations", ScalingPatch{OnSuccess: str(""), OnFailure: str("")},
			Scaling{MaxRetries: n(1), RetryDelay: base.RetryDelay, MaxEventAge: base.MaxEventAge, AsyncConcurrency: 3}},
		{"change a destination", ScalingPatch{OnFailure: str("other")},
			Scaling{MaxRetries: n(1), RetryDelay: base.RetryDelay, MaxEventAge: base.MaxEventAge, AsyncConcurrency: 3, OnSuccess: "ok", OnFailure: "other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := *base.MaxRetries
			got := tt.patch.Apply(base)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Apply =\n%+v\nwant\n%+v", got, tt.want)
			}
			if *base.MaxRetries != before {
				t.Error("Apply changed the scaling it was given")
			}
			if tt.patch.IsZero() != (tt.name == "nothing") || tt.patch.HasAsync() != (tt.name != "nothing") {
				t.Errorf("IsZero %v, HasAsync %v", tt.patch.IsZero(), tt.patch.HasAsync())
			}
		})
	}
	// The patch's own value is copied: changing it later changes nothing.
	v := 1
	p := ScalingPatch{MaxRetries: &v}
	s := p.Apply(Scaling{})
	v = 2
	if *s.MaxRetries != 1 {
		t.Errorf("Apply kept a pointer to the patch: max retries %d", *s.MaxRetries)
	}
}

func TestScalingPatchAsyncJSON(t *testing.T) {
	var p ScalingPatch
	doc := `{"max_retries":0,"retry_delay":"2s","max_event_age":"1h","async_concurrency":4,"on_success":"ok","on_failure":""}`
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	s := p.Apply(Scaling{OnFailure: "old"})
	if *s.MaxRetries != 0 || time.Duration(s.RetryDelay) != 2*time.Second || time.Duration(s.MaxEventAge) != time.Hour ||
		s.AsyncConcurrency != 4 || s.OnSuccess != "ok" || s.OnFailure != "" {
		t.Errorf("decoded %s applied as %+v", doc, s)
	}
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"max_retries":0`, `"retry_delay":"2s"`, `"max_event_age":"1h0m0s"`, `"async_concurrency":4`, `"on_success":"ok"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("Scaling JSON %s lacks %s", out, want)
		}
	}
	if strings.Contains(string(out), "on_failure") {
		t.Errorf("Scaling JSON %s has an empty on_failure", out)
	}
}

func TestScalingEffectiveAsync(t *testing.T) {
	s := Scaling{}.Effective(ProtocolAWS)
	if *s.MaxRetries != DefaultMaxRetries || time.Duration(s.RetryDelay) != DefaultRetryDelay || time.Duration(s.MaxEventAge) != DefaultMaxEventAge {
		t.Errorf("defaults: %+v", s)
	}
	if s.AsyncConcurrency != DefaultMaxInstances {
		t.Errorf("async concurrency %d, want the function's capacity %d", s.AsyncConcurrency, DefaultMaxInstances)
	}
	zero := 0
	s = Scaling{MaxRetries: &zero, Concurrency: 4, MaxInstances: 2}.Effective(ProtocolHTTP)
	if *s.MaxRetries != 0 || s.AsyncConcurrency != 8 {
		t.Errorf("explicit 0 retries, capacity 8: %+v", s)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("the effective settings do not validate: %v", err)
	}
	for _, tt := range []struct{ reserved, async, want int }{{3, 0, 3}, {3, 2, 2}, {50, 0, 10}, {0, 0, 10}, {3, 9, 3}} {
		r := tt.reserved
		got := Scaling{Reserved: &r, AsyncConcurrency: tt.async}.Effective(ProtocolAWS).AsyncConcurrency
		if got != tt.want {
			t.Errorf("reserved %d, async concurrency %d: in force %d, want %d", tt.reserved, tt.async, got, tt.want)
		}
	}
}

func TestScalingSettingsNamesPatchFields(t *testing.T) {
	b, err := json.Marshal(ScalingPatch{
		Concurrency: new(int), MinInstances: new(int), MaxInstances: new(int), IdleTimeout: new(Duration), StartTimeout: new(Duration), StandbyTimeout: new(Duration),
		Reserved: new(int), Auth: new(string), MaxRetries: new(int), RetryDelay: new(Duration), MaxEventAge: new(Duration),
		AsyncConcurrency: new(int), OnSuccess: new(string), OnFailure: new(string),
	})
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	if len(fields) != len(ScalingSettings) {
		t.Errorf("the patch has %d fields, ScalingSettings names %d", len(fields), len(ScalingSettings))
	}
	for _, k := range ScalingSettings {
		if _, ok := fields[k]; !ok {
			t.Errorf("ScalingSettings names %q, which the patch lacks", k)
		}
	}
}
