package sqlite

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func encodeSample() *lambda.Invocation {
	return &lambda.Invocation{
		ID: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Function: "hello", Version: 3, Trigger: lambda.Trigger("http"),
		Start:    time.Date(2026, 12, 5, 23, 50, 1, 123456789, time.UTC),
		Duration: 1234567, Status: "succeeded", HTTPStatus: 200, QueueWait: 4567, Attempt: 1,
		Instance: "lambda-hello-3-abc", MemoryMB: 256, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
	}
}

func TestAppendInvocationsMatchesJSON(t *testing.T) {
	full := *encodeSample()
	full.Cold, full.InitDuration, full.ErrorType, full.ThrottleReason = true, 480*time.Millisecond, "timeout", lambda.ThrottleReason("concurrency")
	full.MaxMemoryUsedMB, full.RuntimeExit, full.Timeout = 31, "exit status 1", time.Second
	odd := *encodeSample()
	odd.ID, odd.Function, odd.Status = "a\"b\\c<d>&e\n\t\x01\u2028\u2029é\xff", "", "\x7f"
	odd.Start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", -(5*3600+30*60)))
	odd.Version, odd.Duration, odd.HTTPStatus, odd.QueueWait, odd.Attempt = -1, -5, 0, -1, 0
	far := *encodeSample()
	far.Start = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		recs []*lambda.Invocation
	}{
		{"empty", []*lambda.Invocation{}},
		{"one", []*lambda.Invocation{encodeSample()}},
		{"every field", []*lambda.Invocation{&full}},
		{"escapes, zone, negatives", []*lambda.Invocation{&odd, encodeSample()}},
		{"zero record", []*lambda.Invocation{{}}},
		{"nil record", []*lambda.Invocation{nil, encodeSample()}},
		{"year past 9999", []*lambda.Invocation{encodeSample(), &far}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, wantErr := json.Marshal(tt.recs)
			got, err := appendInvocations(nil, tt.recs)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("error %v, json.Marshal's %v", err, wantErr)
			}
			if wantErr == nil && !bytes.Equal(got, want) {
				t.Fatalf("got\n%s\nwant\n%s", got, want)
			}
			if wantErr != nil {
				return
			}
			ids := make([]string, 0, len(tt.recs))
			for _, r := range tt.recs {
				if r != nil {
					ids = append(ids, r.ID)
				}
			}
			wantIDs, _ := json.Marshal(ids)
			if got := appendKeys(nil, ids); !bytes.Equal(got, wantIDs) {
				t.Fatalf("IDs: got %s, want %s", got, wantIDs)
			}
		})
	}
}

func FuzzAppendInvocations(f *testing.F) {
	f.Add("id", "fn", "http", "succeeded", "", "", "inst", "trace", "", int64(0), int64(1), 200, true, int64(-3600))
	f.Add("a\"<\u2028\xff", "\x00\x1f", "", "\t", "timeout", "x", "", "", "exit status 1", int64(-1), int64(1<<62), -1, false, int64(19800))
	f.Fuzz(func(t *testing.T, id, fn, trigger, status, errType, throttle, inst, trace, exit string, startNS, dur int64, n int, cold bool, off int64) {
		r := &lambda.Invocation{
			ID: id, Function: fn, Version: n, Trigger: lambda.Trigger(trigger), Status: status,
			Start:    time.Unix(0, startNS).In(time.FixedZone("z", int(off%(48*3600)))),
			Duration: time.Duration(dur), HTTPStatus: n * 3, Cold: cold, QueueWait: time.Duration(-dur),
			ErrorType: errType, Attempt: n / 2, InitDuration: time.Duration(dur / 3),
			ThrottleReason: lambda.ThrottleReason(throttle), Instance: inst, MemoryMB: n + 1,
			MaxMemoryUsedMB: n - 1, TraceID: trace, RuntimeExit: exit,
		}
		recs := []*lambda.Invocation{r, r}
		want, wantErr := json.Marshal(recs)
		got, err := appendInvocations(nil, recs)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("error %v, json.Marshal's %v", err, wantErr)
		}
		if wantErr == nil && !bytes.Equal(got, want) {
			t.Fatalf("got\n%s\nwant\n%s", got, want)
		}
		wantIDs, _ := json.Marshal([]string{id, id})
		if got := appendKeys(nil, []string{id, id}); !bytes.Equal(got, wantIDs) {
			t.Fatalf("IDs: got %s, want %s", got, wantIDs)
		}
	})
}

// BenchmarkAppendInvocations: a chunk of 64 warm records, as the history
// writes them, by hand and by json.Marshal.
func BenchmarkAppendInvocations(b *testing.B) {
	recs := make([]*lambda.Invocation, 64)
	for i := range recs {
		recs[i] = encodeSample()
	}
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var (
			buf  []byte
			keys []string
		)
		for b.Loop() {
			buf, _ = appendInvocations(buf[:0], recs)
			keys = chunkKeys(keys, recs)
			buf = appendKeys(buf[:0], keys)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(recs)
			ids := make([]string, len(recs))
			for i, r := range recs {
				ids[i] = r.ID
			}
			_, _ = json.Marshal(ids)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
	})
}
