package shim

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Headers between the platform's gateway and the shim.
const (
	hdrInvokeMode    = "X-Lambda-Invoke-Mode"
	hdrRequestID     = "X-Lambda-Request-Id"
	hdrDeadline      = "X-Lambda-Deadline-Ms"
	hdrLogType       = "X-Lambda-Log-Type"
	hdrLogResult     = "X-Lambda-Log-Result"
	hdrFunctionError = "X-Lambda-Function-Error"
	// hdrInstanceFailed on an answer says the instance is broken (its
	// function process died, or is being stopped): the gateway takes it out
	// of the pool at once instead of handing it the next request.
	hdrInstanceFailed = "X-Lambda-Instance-Failed"
	// hdrRuntimeExit on an answer says the function process died during
	// the invocation and how ("exit status 1", "signal: killed"): the
	// platform logs Lambda's "Runtime exited with error" line for it.
	hdrRuntimeExit = "X-Lambda-Runtime-Exit"
	// hdrClientContext is the Lambda Invoke API's client context (compact
	// JSON, ASCII only) of a direct invocation: Lambda-Runtime-Client-Context
	// on /next.
	hdrClientContext = "X-Lambda-Client-Context"
)

// isControlHeader reports the headers meant for the shim, not the function.
func isControlHeader(canonical string) bool {
	switch canonical {
	case hdrInvokeMode, hdrRequestID, hdrDeadline, hdrLogType, hdrClientContext:
		return true
	}
	return false
}

// invocation is one request on its way through the shim.
type invocation struct {
	id       string
	received time.Time
	deadline time.Time
	raw      bool   // X-Lambda-Invoke-Mode: raw
	tail     bool   // X-Lambda-Log-Type: Tail
	trace    string // the X-Ray form of the platform's traceparent, or ""
	// clientContext is X-Lambda-Client-Context, or "".
	clientContext string
	bodyLen       int
	event         *bytes.Buffer // what /next returns; owned by whoever dequeues it
	done          chan result   // receives exactly one result (buffered)
	finished      atomic.Bool
	timer         *time.Timer // the running invocation's deadline; guarded by queue.mu
	polls         uint64      // queue.polls when the function answered it; guarded by queue.mu
}

// newInvocation reads the control headers of r.
func newInvocation(r *http.Request, now time.Time, timeout time.Duration) (*invocation, error) {
	inv := &invocation{received: now, done: make(chan result, 1)}
	h := r.Header
	switch mode := h.Get(hdrInvokeMode); mode {
	case "", "http":
	case "raw":
		inv.raw = true
	default:
		return nil, fmt.Errorf("%s %q is not supported: use raw or leave it out", hdrInvokeMode, mode)
	}
	inv.tail = h.Get(hdrLogType) == "Tail"
	if inv.raw {
		// Only a direct invocation has one (the platform's gateway strips
		// it from HTTP requests anyway).
		inv.clientContext = h.Get(hdrClientContext)
	}
	inv.trace = xrayTrace(h.Get(hdrTraceParent))
	inv.id = h.Get(hdrRequestID)
	if inv.id == "" {
		inv.id = newRequestID()
	} else if !validRequestID(inv.id) {
		return nil, fmt.Errorf("%s must be 1-128 letters, digits, '-', '_' or '.'", hdrRequestID)
	}
	inv.deadline = now.Add(timeout)
	if d := h.Get(hdrDeadline); d != "" {
		ms, err := strconv.ParseInt(d, 10, 64)
		if err != nil || ms <= 0 {
			return nil, fmt.Errorf("%s %q is not a Unix time in milliseconds", hdrDeadline, d)
		}
		inv.deadline = time.UnixMilli(ms)
	}
	return inv, nil
}

// finish delivers res unless a result was delivered already.
func (inv *invocation) finish(res result) bool {
	if !inv.finished.CompareAndSwap(false, true) {
		return false
	}
	inv.done <- res
	return true
}

// timeoutMessage is Lambda's wording, with the time the invocation had.
func (inv *invocation) timeoutMessage() string {
	d := inv.deadline.Sub(inv.received)
	if d < 0 {
		d = 0
	}
	return fmt.Sprintf("Task timed out after %.2f seconds", d.Seconds())
}

type resultKind uint8

const (
	resOK          resultKind = iota // body is the function's result
	resError                         // body is the error document the function posted
	resFailure                       // the function broke (exited, answered garbage): 502
	resTimeout                       // past the deadline: 504
	resUnavailable                   // the request never reached the function: 503
)

// result is how an invocation ended.
type result struct {
	kind    resultKind
	body    *bytes.Buffer // resOK, resError; pooled, released by the writer
	errType string        // resError: Lambda-Runtime-Function-Error-Type
	message string        // resFailure, resUnavailable: why
	tail    []byte        // the log tail, when asked for
	// instanceFailed, when set, says why the instance cannot serve another
	// request; the answer carries it in X-Lambda-Instance-Failed.
	instanceFailed string
	// exit, when set, is how the function process ended during the
	// invocation (os.ProcessState's words): X-Lambda-Runtime-Exit.
	exit string
}

func validRequestID(id string) bool {
	if len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// newRequestID returns a random UUID (version 4), as Lambda's IDs are.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// newTraceID returns an X-Ray style trace header, which some runtimes
// expect to find on every event.
func newTraceID(now time.Time) string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%x;Parent=%x;Sampled=0", now.Unix(), b[:12], b[12:])
}
