package manifest

import (
	"reflect"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestParseAsyncSettings(t *testing.T) {
	tests := []struct {
		src  string
		want lambda.ScalingPatch
	}{
		{"max_retries: 0", lambda.ScalingPatch{MaxRetries: ptr(0)}},
		{"max_retries: 2", lambda.ScalingPatch{MaxRetries: ptr(2)}},
		{"retry_delay: 2s", lambda.ScalingPatch{RetryDelay: durPtr(2 * time.Second)}},
		{"retry_delay: 1h", lambda.ScalingPatch{RetryDelay: durPtr(time.Hour)}},
		{"retry_delay: 0", lambda.ScalingPatch{RetryDelay: durPtr(0)}},
		{"max_event_age: 60s", lambda.ScalingPatch{MaxEventAge: durPtr(time.Minute)}},
		{"max_event_age: 6h", lambda.ScalingPatch{MaxEventAge: durPtr(6 * time.Hour)}},
		{"async_concurrency: 0", lambda.ScalingPatch{AsyncConcurrency: ptr(0)}},
		{"async_concurrency: 3", lambda.ScalingPatch{AsyncConcurrency: ptr(3)}},
		{"on_success: audit\non_failure: dlq", lambda.ScalingPatch{OnSuccess: ptr("audit"), OnFailure: ptr("dlq")}},
		{`on_failure: ""`, lambda.ScalingPatch{OnFailure: ptr("")}},
		{"on_failure:", lambda.ScalingPatch{OnFailure: ptr("")}},
		{"on_failure: '123'", lambda.ScalingPatch{OnFailure: ptr("123")}},
	}
	for _, tt := range tests {
		m, err := Parse([]byte(tt.src))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		if !reflect.DeepEqual(m.Scaling, tt.want) {
			t.Errorf("Parse(%q).Scaling = %+v, want %+v", tt.src, m.Scaling, tt.want)
		}
		if err := m.Scaling.Apply(lambda.Scaling{}).Validate(); err != nil {
			t.Errorf("Parse(%q) accepted invalid settings: %v", tt.src, err)
		}
	}
}

func TestParseAsyncSettingsFull(t *testing.T) {
	src := `name: work
max_retries: 1
retry_delay: 2s
max_event_age: 10m
async_concurrency: 4
on_success: audit
on_failure: dlq
`
	m, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sc := m.Scaling.Apply(lambda.Scaling{})
	want := lambda.Scaling{MaxRetries: ptr(1), RetryDelay: lambda.Duration(2 * time.Second), MaxEventAge: lambda.Duration(10 * time.Minute),
		AsyncConcurrency: 4, OnSuccess: "audit", OnFailure: "dlq"}
	if !reflect.DeepEqual(sc, want) {
		t.Errorf("settings %+v, want %+v", sc, want)
	}
}

func TestParseAsyncSettingsErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"too many retries", "max_retries: 3", `lambda.yaml: line 1: max_retries: 3 is out of range 0-2`},
		{"negative retries", "max_retries: -1", `lambda.yaml: line 1: max_retries: -1 is out of range 0-2`},
		{"retries as text", "max_retries: twice", `lambda.yaml: line 1: max_retries: "twice" is not a whole number`},
		{"retry delay without unit", "retry_delay: 30", `lambda.yaml: line 1: retry_delay: "30" is not a duration: use a value like 30s or 5m`},
		{"retry delay too short", "retry_delay: 500ms", `lambda.yaml: line 1: retry_delay: 500ms is out of range: use 1s to 1h, or 0 for the default (1m)`},
		{"retry delay too long", "retry_delay: 2h", `lambda.yaml: line 1: retry_delay: 2h is out of range: use 1s to 1h, or 0 for the default (1m)`},
		{"retry delay below a millisecond", "retry_delay: 1.0001s", `lambda.yaml: line 1: retry_delay: 1.0001s is out of range: use 1s to 1h, or 0 for the default (1m)`},
		{"event age too short", "max_event_age: 30s", `lambda.yaml: line 1: max_event_age: 30s is out of range: use 1m to 6h, or 0 for the default (6h)`},
		{"event age too long", "\nmax_event_age: 7h", `lambda.yaml: line 2: max_event_age: 7h is out of range: use 1m to 6h, or 0 for the default (6h)`},
		{"negative event age", "max_event_age: -1m", `lambda.yaml: line 1: max_event_age: -1m is out of range: use 1m to 6h, or 0 for the default (6h)`},
		{"async concurrency negative", "async_concurrency: -2", `lambda.yaml: line 1: async_concurrency: -2 is out of range 0-1000000`},
		{"async concurrency a list", "async_concurrency: [1]", `lambda.yaml: line 1: async_concurrency: must be a single value, not a list`},
		{"bad destination", "on_success: Audit", `lambda.yaml: line 1: on_success: function name "Audit" contains 'A': use 1-63 lowercase letters, digits or dashes, not starting or ending with a dash`},
		{"destination a mapping", "on_failure: {name: dlq}", `lambda.yaml: line 1: on_failure: must be a single value, not a mapping`},
		{"own destination", "name: work\nmax_retries: 1\non_failure: work", `lambda.yaml: line 3: on_failure: "work" is this function: a function cannot be its own destination (it would loop); name another function`},
		{"own success destination", "on_success: work\nname: work", `lambda.yaml: line 1: on_success: "work" is this function: a function cannot be its own destination (it would loop); name another function`},
		{"typo", "max_retires: 1", `lambda.yaml: line 1: unknown key "max_retires": did you mean "max_retries"?`},
		{"camel case", "onFailure: dlq", `lambda.yaml: line 1: unknown key "onFailure": did you mean "on_failure"?`},
		{"set twice", "on_failure: a\non_failure: b", `lambda.yaml: line 2: key "on_failure" is set twice (first on line 1): keep one`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.src))
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error %q", tt.src, m, tt.want)
			}
			if lambda.ErrorCode(err) != lambda.EINVALID {
				t.Errorf("error %v has code %q, want invalid", err, lambda.ErrorCode(err))
			}
			if got := lambda.ErrorMessage(err); got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}
