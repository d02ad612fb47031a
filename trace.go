package lambda

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
)

// TraceContext is a W3C Trace Context (level 1): the trace an invocation
// belongs to and the span its caller's hop was. Every invocation runs
// under one (Invocation.TraceID); the platform is a hop of its own, so
// what it forwards to the function is a child: the same trace, a new
// parent ID (Child).
type TraceContext struct {
	TraceID  [16]byte
	ParentID [8]byte
	Flags    byte
}

// TraceFlagSampled is the one trace flag level 1 defines: the caller may
// have recorded its span. The platform keeps the caller's decision, and
// sets it on the traces it starts, so that a function's parent-based
// sampler records them (the platform records no spans of its own).
const TraceFlagSampled = 0x01

// TraceParentLen is the length of a version-00 traceparent.
const TraceParentLen = 55

// HeaderTraceParent and HeaderTraceState are W3C Trace Context's headers.
const (
	HeaderTraceParent = "Traceparent"
	HeaderTraceState  = "Tracestate"
)

// ParseTraceParent parses a traceparent header value. Anything the
// specification calls invalid (a wrong length or separator, uppercase or
// other non-hex digits, version ff, an all-zero trace or parent ID) gives
// ok false: the caller must then start a new trace, never forward s. A
// version above 00 is read as 00 when it begins like one, as the
// specification asks.
func ParseTraceParent(s string) (t TraceContext, ok bool) {
	if len(s) < TraceParentLen || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return t, false
	}
	var version [1]byte
	if !decodeLowerHex(version[:], s[0:2]) || version[0] == 0xff {
		return t, false
	}
	if len(s) > TraceParentLen && (version[0] == 0 || s[TraceParentLen] != '-') {
		return t, false
	}
	var flags [1]byte
	if !decodeLowerHex(t.TraceID[:], s[3:35]) || !decodeLowerHex(t.ParentID[:], s[36:52]) || !decodeLowerHex(flags[:], s[53:55]) {
		return TraceContext{}, false
	}
	t.Flags = flags[0]
	if !t.Valid() {
		return TraceContext{}, false
	}
	return t, true
}

// decodeLowerHex decodes src into dst (len(src) == 2*len(dst)), refusing
// anything but the lowercase hex digits the specification allows.
func decodeLowerHex(dst []byte, src string) bool {
	var bad byte
	for i := range dst {
		hi, lo := lowerHex[src[2*i]], lowerHex[src[2*i+1]]
		bad |= hi | lo
		dst[i] = hi<<4 | lo&0x0f
	}
	return bad&0xf0 == 0
}

// lowerHex maps a lowercase hex digit to its value, anything else to 0xff.
var lowerHex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c] = c - 'a' + 10
	}
	return t
}()

// Valid reports whether t has a trace ID and a parent ID (neither may be
// all zeros).
func (t TraceContext) Valid() bool {
	return t.TraceID != [16]byte{} && t.ParentID != [8]byte{}
}

// Child returns the context the platform forwards for its own hop: t's
// trace with a new parent ID. A t without a trace ID starts a new,
// sampled trace. IDs come from math/rand/v2's per-thread ChaCha8, seeded
// by the runtime from the OS: unpredictable enough for trace IDs, which
// are not secrets, without a system call per request.
func (t TraceContext) Child() TraceContext {
	if t.TraceID == [16]byte{} {
		putRandom(t.TraceID[:])
		t.Flags = TraceFlagSampled
	}
	putRandom(t.ParentID[:])
	return t
}

// putRandom fills b (8 or 16 bytes) with random bytes, never all zeros.
func putRandom(b []byte) {
	for {
		for i := 0; i < len(b); i += 8 {
			v := rand.Uint64()
			for j := 0; j < 8; j++ {
				b[i+j] = byte(v >> (8 * j))
			}
		}
		for _, c := range b {
			if c != 0 {
				return
			}
		}
	}
}

// String returns t as a version-00 traceparent header value. Only the
// sampled flag is kept: level 1 says a vendor must not forward flags it
// does not know.
func (t TraceContext) String() string {
	var b [TraceParentLen]byte
	t.appendTo(b[:0])
	return string(b[:])
}

func (t TraceContext) appendTo(b []byte) []byte {
	b = append(b, "00-"...)
	b = hex.AppendEncode(b, t.TraceID[:])
	b = append(b, '-')
	b = hex.AppendEncode(b, t.ParentID[:])
	b = append(b, '-', '0', '0'+t.Flags&TraceFlagSampled)
	return b
}

// TraceIDString returns the trace ID as 32 lowercase hex digits, the
// form of Invocation.TraceID.
func (t TraceContext) TraceIDString() string {
	return hex.EncodeToString(t.TraceID[:])
}

// TraceOfRequestID returns a trace without a parent whose ID is the bytes
// of a UUID request ID (the form of NewRequestID), so that every attempt
// of an async job whose submitter's trace was not kept shares one trace,
// the same for the same job. ok is false when id is not such a UUID.
func TraceOfRequestID(id string) (t TraceContext, ok bool) {
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' {
		return t, false
	}
	hexID := id[0:8] + id[9:13] + id[14:18] + id[19:23] + id[24:36]
	if !decodeLowerHex(t.TraceID[:], hexID) || t.TraceID == [16]byte{} {
		return TraceContext{}, false
	}
	t.Flags = TraceFlagSampled
	return t, true
}

// WithInvocation is WithInvocationID for an invocation whose record the
// caller holds: the router reads its ID and TraceID when it takes the
// lease, so that the instance's output carries both. A pointer costs no
// allocation to put in ctx, which a string or a pair of them would.
func WithInvocation(ctx context.Context, inv *Invocation) context.Context {
	return context.WithValue(ctx, invocationIDKey{}, inv)
}

// TraceIDFrom returns the TraceID of the invocation WithInvocation put in
// ctx, or "".
func TraceIDFrom(ctx context.Context) string {
	if inv, ok := ctx.Value(invocationIDKey{}).(*Invocation); ok {
		return inv.TraceID
	}
	return ""
}
