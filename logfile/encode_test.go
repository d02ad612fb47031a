package logfile

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

var encodeCases = []lambda.LogLine{
	{},
	{Time: time.Date(2026, 12, 5, 22, 5, 18, 123456789, time.UTC), Function: "greet", Version: 3, Instance: "0123abcd", Stream: lambda.StreamPlatform,
		Invocation: "c0ffee00-0000-4000-8000-000000000000", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Message: "REPORT RequestId: c0ffee00-0000-4000-8000-000000000000\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB\t"},
	{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", -7*3600)), Function: "f", Stream: lambda.StreamStdout, Message: `{"level":"info","msg":"<b>&</b>"}`},
	{Time: time.Unix(0, 1), Stream: lambda.StreamStderr, Message: "tab\there\nnul\x00 bad \xff utf8 \u2028 é 漢字 \\", Truncated: true, Dropped: 42},
	{Stream: "\b\f\r\x1f\x7f\u2029\"quoted\"", Function: "<&>", Message: "\xe2\x80", TraceID: "\U0001F600 \xed\xa0\x80"},
	{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Message: "a year json.Marshal refuses"},
	{Time: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), Version: -1, Dropped: -5},
	{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 25*3600)), Message: "an offset json.Marshal refuses"},
	{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("LMT", -(7*3600+30))), Message: "an offset with seconds"},
}

func TestAppendLineIsJSONMarshal(t *testing.T) {
	for _, l := range encodeCases {
		want, wantErr := json.Marshal(&l)
		got, err := appendLine([]byte("prefix"), &l)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%+v: error %v, json.Marshal's %v", l, err, wantErr)
			continue
		}
		if wantErr == nil && !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("%+v:\n got %s\nwant prefix%s", l, got, want)
		}
	}
}

// FuzzAppendLine: any line a function prints (the message and the fields
// a collector fills in) is stored exactly as json.Marshal would store it,
// so readers see no difference.
func FuzzAppendLine(f *testing.F) {
	for _, l := range encodeCases {
		f.Add(l.Time.UnixNano(), l.Function, l.Version, l.Instance, l.Stream, l.Invocation, l.TraceID, l.Message, l.Truncated, l.Dropped)
	}
	f.Fuzz(func(t *testing.T, ns int64, function string, version int, instance, stream, invocation, trace, message string, truncated bool, dropped int64) {
		l := lambda.LogLine{Time: time.Unix(0, ns).UTC(), Function: function, Version: version, Instance: instance, Stream: stream,
			Invocation: invocation, TraceID: trace, Message: message, Truncated: truncated, Dropped: dropped}
		want, err := json.Marshal(&l)
		if err != nil {
			t.Skip() // times json.Marshal refuses are checked above
		}
		got, err := appendLine(nil, &l)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("appendLine = %s, %v\njson.Marshal = %s", got, err, want)
		}
	})
}

// BenchmarkAppendLine is the store's encoding of a REPORT line, the kind
// written three times per invocation: go test ./logfile -run X -bench AppendLine -benchmem.
func BenchmarkAppendLine(b *testing.B) {
	l := encodeCases[1]
	b.Run("appendLine", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = appendLine(buf[:0], &l)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(&l)
		}
	})
}
