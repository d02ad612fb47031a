package http

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/lambdahq/lambda"
)

// lambdaWriter reshapes what the gateway answers into an Invoke API answer.
// The function's answer streams through as the payload, with 200 and
// Lambda's headers. The platform's own error JSON and the shim's timeout
// answer are held back instead, and answered in Lambda's format by finish:
// AWS clients must never receive our error shape.
type lambdaWriter struct {
	w      http.ResponseWriter
	inv    *lambdaInvocation
	header http.Header // what the gateway sets; copied selectively
	wrote  bool
	held   *heldAnswer
}

// heldAnswer is a platform answer waiting to be translated.
type heldAnswer struct {
	code string // domain error code
	body bytes.Buffer
}

// maxHeldBody bounds what is kept of a held answer; platform error
// documents are small.
const maxHeldBody = 64 << 10

// versionHeader is set by the gateway on every answer that came from an
// instance, and on nothing the platform itself answers.
const versionHeader = "X-Lambda-Version"

func (lw *lambdaWriter) Header() http.Header { return lw.header }

func (lw *lambdaWriter) WriteHeader(status int) {
	if lw.wrote || status < 200 {
		return // informational answers are not part of the Invoke API
	}
	lw.wrote = true
	fromFunction := lw.header.Get(versionHeader) != ""
	switch {
	case status == 499: // the client went away; nobody reads this
		lw.w.WriteHeader(status)
		return
	case !fromFunction:
		// Only the gateway answers without the version header, and it
		// always marks its errors with ErrorHeader.
		lw.held = &heldAnswer{code: lw.header.Get(ErrorHeader)}
		return
	case lw.inv.shim && status == http.StatusGatewayTimeout:
		// The shim's own answer at the deadline (runtime-contract.md).
		lw.held = &heldAnswer{code: lambda.ETIMEOUT}
		return
	}
	h := lw.w.Header()
	h.Set("Content-Type", "application/json")
	if ct := lw.header.Get("Content-Type"); ct != "" {
		h.Set("Content-Type", ct)
	}
	if cl := lw.header.Get("Content-Length"); cl != "" {
		h.Set("Content-Length", cl)
	}
	h.Set(amzRequestID, lw.inv.requestID)
	h.Set(amzExecVersion, lw.header.Get(versionHeader))
	// Behind the shim a failure carries HeaderFunctionError; an http
	// function has no such header, so any error status of its own counts.
	if status >= 400 || lw.header.Get(HeaderFunctionError) != "" {
		h.Set(amzFunctionError, "Unhandled")
	}
	if lr := lw.header.Get(HeaderLogResult); lw.inv.tail && lr != "" {
		h.Set(amzLogResult, lr)
	}
	lw.w.WriteHeader(http.StatusOK)
}

func (lw *lambdaWriter) Write(p []byte) (int, error) {
	if !lw.wrote {
		lw.WriteHeader(http.StatusOK)
	}
	if lw.held == nil {
		return lw.w.Write(p)
	}
	if room := maxHeldBody - lw.held.body.Len(); room > 0 {
		lw.held.body.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// FlushError lets the proxy stream a function's answer as it comes.
func (lw *lambdaWriter) FlushError() error {
	if !lw.wrote || lw.held != nil {
		return nil
	}
	return http.NewResponseController(lw.w).Flush()
}

// SetReadDeadline and SetWriteDeadline reach the connection, so that the
// gateway's bounds on slow clients (gateway.bindWrite) hold here too.
func (lw *lambdaWriter) SetReadDeadline(t time.Time) error {
	return http.NewResponseController(lw.w).SetReadDeadline(t)
}

func (lw *lambdaWriter) SetWriteDeadline(t time.Time) error {
	return http.NewResponseController(lw.w).SetWriteDeadline(t)
}

// finish answers a held answer once the gateway is done with it.
func (lw *lambdaWriter) finish() {
	if !lw.wrote {
		lw.WriteHeader(http.StatusOK)
	}
	if lw.held != nil {
		lw.inv.writeOutcome(lw.w, outcomeOf(lw.held.code), platformMessage(lw.held))
	}
}

// platformMessage extracts the message of the gateway's error document.
func platformMessage(a *heldAnswer) string {
	var e ErrorResponse
	if json.Unmarshal(a.body.Bytes(), &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	return "the platform failed with " + strconv.Quote(a.code)
}
