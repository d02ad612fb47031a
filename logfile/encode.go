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

// appendString appends s as a JSON string, escaped as json.Marshal
// escapes it: quotes, backslashes and control characters (\b \f \n \r \t
// short, others as \u00XX), <, > and & (HTML-safe), U+2028 and U+2029,
// and invalid UTF-8 replaced by U+FFFD. Lambda's REPORT line has tabs.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plain marks the bytes appendString copies as they are: printable ASCII
// but for " \ < > &.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()
