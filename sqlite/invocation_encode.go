package sqlite

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/lambdahq/lambda"
)

// appendInvocations appends recs as json.Marshal encodes them (a JSON
// array; FuzzAppendInvocations holds them equal, byte for byte) without
// its reflection: every warm request's record goes through it, and
// encoding a chunk was a quarter of the history's CPU per record
// (BenchmarkAppendInvocations).
func appendInvocations(b []byte, recs []*lambda.Invocation) ([]byte, error) {
	b = append(b, '[')
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendInvocation(b, r); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

func appendInvocation(b []byte, r *lambda.Invocation) ([]byte, error) {
	if r == nil {
		return append(b, "null"...), nil
	}
	if _, off := r.Start.Zone(); r.Start.Year() < 0 || r.Start.Year() > 9999 || off <= -24*3600 || off >= 24*3600 {
		// json.Marshal's own error for a time RFC 3339 cannot write.
		enc, err := json.Marshal(r)
		return append(b, enc...), err
	}
	b = append(b, `{"id":`...)
	b = appendJSONString(b, r.ID)
	b = append(b, `,"function":`...)
	b = appendJSONString(b, r.Function)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(r.Version), 10)
	b = append(b, `,"trigger":`...)
	b = appendJSONString(b, string(r.Trigger))
	b = append(b, `,"start":"`...)
	b = r.Start.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","duration":`...)
	b = strconv.AppendInt(b, int64(r.Duration), 10)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, r.Status)
	b = append(b, `,"http_status":`...)
	b = strconv.AppendInt(b, int64(r.HTTPStatus), 10)
	b = append(b, `,"cold_start":`...)
	b = strconv.AppendBool(b, r.Cold)
	b = append(b, `,"queue_wait":`...)
	b = strconv.AppendInt(b, int64(r.QueueWait), 10)
	if r.ErrorType != "" {
		b = append(b, `,"error_type":`...)
		b = appendJSONString(b, r.ErrorType)
	}
	b = append(b, `,"attempt":`...)
	b = strconv.AppendInt(b, int64(r.Attempt), 10)
	if r.InitDuration != 0 {
		b = append(b, `,"init_duration":`...)
		b = strconv.AppendInt(b, int64(r.InitDuration), 10)
	}
	if r.ThrottleReason != "" {
		b = append(b, `,"throttle_reason":`...)
		b = appendJSONString(b, string(r.ThrottleReason))
	}
	if r.Instance != "" {
		b = append(b, `,"instance":`...)
		b = appendJSONString(b, r.Instance)
	}
	if r.MemoryMB != 0 {
		b = append(b, `,"memory_mb":`...)
		b = strconv.AppendInt(b, int64(r.MemoryMB), 10)
	}
	if r.MaxMemoryUsedMB != 0 {
		b = append(b, `,"max_memory_used_mb":`...)
		b = strconv.AppendInt(b, int64(r.MaxMemoryUsedMB), 10)
	}
	if r.TraceID != "" {
		b = append(b, `,"trace_id":`...)
		b = appendJSONString(b, r.TraceID)
	}
	if r.RuntimeExit != "" {
		b = append(b, `,"runtime_exit":`...)
		b = appendJSONString(b, r.RuntimeExit)
	}
	return append(b, '}'), nil
}

// appendJSONString appends s as a JSON string, escaped as json.Marshal
// escapes it: quotes, backslashes and control characters (\b \f \n \r \t
// short, others as \u00XX), <, > and & (HTML-safe), U+2028 and U+2029,
// and invalid UTF-8 replaced by U+FFFD. (logfile's appendString does the
// same; adapters do not import each other.)
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jsonPlain[c] {
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

// jsonPlain marks the bytes appendJSONString copies as they are:
// printable ASCII but for " \ < > &.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()
