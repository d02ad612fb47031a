package logfile

import (
	"encoding/json"
	"strconv"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/internal/jsonenc"
)

// appendLine appends l as json.Marshal encodes it (FuzzAppendLine holds
// them equal, byte for byte) without its reflection: every invocation
// stores three platform lines, and encoding them was most of the store's
// CPU per line (BenchmarkAppendLine).
func appendLine(b []byte, l *lambda.LogLine) ([]byte, error) {
	start := len(b)
	b, ok := jsonenc.AppendTime(append(b, `{"time":`...), l.Time)
	if !ok {
		// json.Marshal's own error for a time RFC 3339 cannot write.
		enc, err := json.Marshal(l)
		return append(b[:start], enc...), err
	}
	b = append(b, `,"function":`...)
	b = jsonenc.AppendString(b, l.Function)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(l.Version), 10)
	b = append(b, `,"instance":`...)
	b = jsonenc.AppendString(b, l.Instance)
	b = append(b, `,"stream":`...)
	b = jsonenc.AppendString(b, l.Stream)
	if l.Invocation != "" {
		b = append(b, `,"invocation":`...)
		b = jsonenc.AppendString(b, l.Invocation)
	}
	if l.TraceID != "" {
		b = append(b, `,"trace_id":`...)
		b = jsonenc.AppendString(b, l.TraceID)
	}
	b = append(b, `,"message":`...)
	b = jsonenc.AppendString(b, l.Message)
	if l.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	if l.Dropped != 0 {
		b = append(b, `,"dropped":`...)
		b = strconv.AppendInt(b, l.Dropped, 10)
	}
	return append(b, '}'), nil
}
