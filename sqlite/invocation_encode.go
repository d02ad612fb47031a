package sqlite

import (
	"encoding/json"
	"strconv"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/internal/jsonenc"
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
	start := len(b)
	b = append(b, `{"id":`...)
	b = jsonenc.AppendString(b, r.ID)
	b = append(b, `,"function":`...)
	b = jsonenc.AppendString(b, r.Function)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(r.Version), 10)
	b = append(b, `,"trigger":`...)
	b = jsonenc.AppendString(b, string(r.Trigger))
	b = append(b, `,"start":`...)
	b, ok := jsonenc.AppendTime(b, r.Start)
	if !ok {
		// json.Marshal's own error for a time RFC 3339 cannot write.
		enc, err := json.Marshal(r)
		return append(b[:start], enc...), err
	}
	b = append(b, `,"duration":`...)
	b = strconv.AppendInt(b, int64(r.Duration), 10)
	b = append(b, `,"status":`...)
	b = jsonenc.AppendString(b, r.Status)
	b = append(b, `,"http_status":`...)
	b = strconv.AppendInt(b, int64(r.HTTPStatus), 10)
	b = append(b, `,"cold_start":`...)
	b = strconv.AppendBool(b, r.Cold)
	b = append(b, `,"queue_wait":`...)
	b = strconv.AppendInt(b, int64(r.QueueWait), 10)
	if r.ErrorType != "" {
		b = append(b, `,"error_type":`...)
		b = jsonenc.AppendString(b, r.ErrorType)
	}
	b = append(b, `,"attempt":`...)
	b = strconv.AppendInt(b, int64(r.Attempt), 10)
	if r.InitDuration != 0 {
		b = append(b, `,"init_duration":`...)
		b = strconv.AppendInt(b, int64(r.InitDuration), 10)
	}
	if r.ThrottleReason != "" {
		b = append(b, `,"throttle_reason":`...)
		b = jsonenc.AppendString(b, string(r.ThrottleReason))
	}
	if r.Instance != "" {
		b = append(b, `,"instance":`...)
		b = jsonenc.AppendString(b, r.Instance)
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
		b = jsonenc.AppendString(b, r.TraceID)
	}
	if r.RuntimeExit != "" {
		b = append(b, `,"runtime_exit":`...)
		b = jsonenc.AppendString(b, r.RuntimeExit)
	}
	return append(b, '}'), nil
}
