package logfile

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/lambdahq/lambda"
)

// appendLine appends l as json.Marshal encodes it (FuzzAppendLine holds
// them equal, byte for byte) without its reflection: every invocation
// stores three platform lines, and encoding them was most of the store's
// CPU per line (BenchmarkAppendLine).
func appendLine(b []byte, l *lambda.LogLine) ([]byte, error) {
	if _, off := l.Time.Zone(); l.Time.Year() < 0 || l.Time.Year() > 9999 || off <= -24*3600 || off >= 24*3600 {
		// json.Marshal's own error for a time RFC 3339 cannot write.
		enc, err := json.Marshal(l)
		return append(b, enc...), err
	}
	b = append(b, `{"time":"`...)
	b = l.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","function":`...)
	b = appendString(b, l.Function)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(l.Version), 10)
	b = append(b, `,"instance":`...)
	b = appendString(b, l.Instance)
	b = append(b, `,"stream":`...)
	b = appendString(b, l.Stream)
	if l.Invocation != "" {
		b = append(b, `,"invocation":`...)
		b = appendString(b, l.Invocation)
	}
	if l.TraceID != "" {
		b = append(b, `,"trace_id":`...)
		b = appendString(b, l.TraceID)
	}
	b = append(b, `,"message":`...)
	b = appendString(b, l.Message)
	if l.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	if l.Dropped != 0 {
		b = append(b, `,"dropped":`...)
		b = strconv.AppendInt(b, l.Dropped, 10)
	}
	return append(b, '}'), nil
}

// appendString appends s as a JSON string. Plain ASCII (IDs, names, most
// output) is copied; anything json.Marshal escapes or replaces (quotes,
// control characters, <>&, invalid UTF-8, U+2028/9) goes through it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			enc, _ := json.Marshal(s) // a string always encodes
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
