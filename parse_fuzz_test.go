package lambda

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// checkCode fails unless err is a *Error with one of codes.
func checkCode(t *testing.T, what string, err error, codes ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %v (%T) is not a *lambda.Error", what, err, err)
	}
	for _, c := range codes {
		if e.Code == c {
			return
		}
	}
	t.Fatalf("%s: error code %q (%v), want one of %v", what, e.Code, err, codes)
}

// FuzzParseBytes: sizes from flags, manifests and API documents parse to
// a positive number or fail with EINVALID, and FormatBytes round-trips.
func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"256m", "1g", "512MiB", "1048576", " 64 k ", "0", "-1", "1.5g", "9223372036854775807", "8589934591g", "17179869184g", "9223372036854775807k", "", "b", "kib", "1KB", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseBytes(s)
		if err != nil {
			checkCode(t, "ParseBytes("+s+")", err, EINVALID)
			return
		}
		if n <= 0 {
			t.Fatalf("ParseBytes(%q) = %d, want a positive size", s, n)
		}
		back, err := ParseBytes(FormatBytes(n))
		if err != nil || back != n {
			t.Fatalf("ParseBytes(FormatBytes(%d) = %q) = %d, %v", n, FormatBytes(n), back, err)
		}
	})
}

// FuzzDurationJSON: a duration in an API document decodes or fails with
// EINVALID, and what decodes encodes back to the same value.
func FuzzDurationJSON(f *testing.F) {
	for _, s := range []string{`"30s"`, `"1h2m3.5s"`, `"-5ms"`, `1500000000`, `"30"`, `"1d"`, `null`, `true`, `{}`, `"9999999999h"`, `1e3`, `-9223372036854775808`, `""`, `"\u0033s"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Duration
		if err := d.UnmarshalJSON(b); err != nil {
			checkCode(t, "UnmarshalJSON("+string(b)+")", err, EINVALID)
			return
		}
		out, err := d.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON(%d): %v", d, err)
		}
		var back Duration
		if err := back.UnmarshalJSON(out); err != nil || back != d {
			t.Fatalf("%s decoded to %d, encoded as %s, decoded back to %d (%v)", b, d, out, back, err)
		}
		// Through encoding/json too, as the API reads it.
		var doc struct {
			D Duration `json:"d"`
		}
		if err := json.Unmarshal([]byte(`{"d":`+string(out)+`}`), &doc); err != nil || doc.D != d {
			t.Fatalf("json.Unmarshal of %s: %d, %v; want %d", out, doc.D, err, d)
		}
	})
}

// FuzzScalingPatch: a scaling patch decodes or not; applied to the
// defaults, what Validate accepts is within the documented bounds, what it
// refuses is refused with EINVALID, and the patch round-trips through JSON.
func FuzzScalingPatch(f *testing.F) {
	for _, s := range []string{
		`{"concurrency":10,"min_instances":1,"max_instances":5,"idle_timeout":"5m","start_timeout":"30s","reserved_concurrency":-1}`,
		`{"concurrency":-1}`, `{"min_instances":9,"max_instances":2}`, `{"idle_timeout":"1ns"}`, `{"idle_timeout":0}`,
		`{"reserved_concurrency":0}`, `{"start_timeout":"-1s"}`, `{"concurrency":1e10}`, `{}`, `[]`,
		`{"max_retries":0,"retry_delay":"1s","max_event_age":"1m","async_concurrency":2,"on_success":"a","on_failure":""}`,
		`{"max_retries":3}`, `{"retry_delay":"999ms"}`, `{"max_event_age":"7h"}`, `{"on_failure":"X"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p ScalingPatch
		if err := json.Unmarshal(b, &p); err != nil {
			return // the HTTP layer answers EINVALID for documents that do not decode (http.FuzzReadJSON)
		}
		s := p.Apply(Scaling{})
		if err := s.Validate(); err != nil {
			checkCode(t, "Validate", err, EINVALID)
		} else {
			switch {
			case s.Concurrency < 0 || s.Concurrency > MaxConcurrency,
				s.MinInstances < 0 || s.MaxInstances < 0 || s.MinInstances > MaxInstancesLimit || s.MaxInstances > MaxInstancesLimit,
				s.MaxInstances > 0 && s.MinInstances > s.MaxInstances,
				s.IdleTimeout != 0 && (time.Duration(s.IdleTimeout) < MinIdleTimeout || time.Duration(s.IdleTimeout) > MaxIdleTimeout),
				s.Reserved != nil && *s.Reserved < 0,
				s.MaxRetries != nil && (*s.MaxRetries < 0 || *s.MaxRetries > MaxMaxRetries),
				s.RetryDelay != 0 && (time.Duration(s.RetryDelay) < MinRetryDelay || time.Duration(s.RetryDelay) > MaxRetryDelay),
				s.MaxEventAge != 0 && (time.Duration(s.MaxEventAge) < MinMaxEventAge || time.Duration(s.MaxEventAge) > MaxMaxEventAge),
				s.AsyncConcurrency < 0,
				s.OnSuccess != "" && ValidateName(s.OnSuccess) != nil, s.OnFailure != "" && ValidateName(s.OnFailure) != nil:
				t.Fatalf("Validate accepted %+v from %s", s, b)
			}
		}
		if p.Reserved != nil && *p.Reserved < 0 && s.Reserved != nil {
			t.Fatalf("a negative reserved_concurrency must remove the cap: %+v", s)
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back ScalingPatch
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		if again, _ := json.Marshal(back); string(again) != string(out) {
			t.Fatalf("patch %s re-encoded as %s", out, again)
		}
	})
}
