package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/lambdahq/lambda"
)

// Invocation types of the Invoke API.
const (
	invokeSync   = "RequestResponse"
	invokeAsync  = "Event"
	invokeDryRun = "DryRun"
)

// lambdaInvocation is one Invoke API call being answered.
type lambdaInvocation struct {
	requestID string
	kind      string // invokeSync, invokeAsync or invokeDryRun
	tail      bool   // X-Amz-Log-Type: Tail
	name      string
	qualifier string        // "", $LATEST or the active version's number
	version   int           // the active version when the call was resolved
	timeout   time.Duration // the function's timeout, for the timeout report
	shim      bool          // the function runs behind the shim (not protocol http)
	// clientContext is X-Amz-Client-Context decoded (parseClientContext).
	clientContext string
}

// errNotJSON marks a payload Lambda would refuse with
// InvalidRequestContentException.
var errNotJSON = errors.New("payload is not JSON")

// errNotUTF8 refuses a payload that json.Valid accepts although its
// strings hold bytes that are not UTF-8: stored, it would be echoed back
// as a record no strict JSON decoder reads.
var errNotUTF8 = &lambda.Error{Code: lambda.EINVALID, Err: errNotJSON,
	Message: "the payload is not valid UTF-8, which JSON must be: encode its strings as UTF-8 (binary data as base64)"}

// handleLambdaInvoke serves POST /2015-03-31/functions/{function}/invocations,
// so AWS SDKs and the AWS CLI pointed at this server invoke functions. The
// call goes through the Invoker as a direct invocation (the payload is the
// event), exactly as `lambda invoke` does; only the answer is reshaped.
func (s *Server) handleLambdaInvoke(w http.ResponseWriter, r *http.Request) {
	inv := &lambdaInvocation{requestID: lambda.NewRequestID()}
	err := inv.readHeaders(r.Header)
	var qualifier string
	if err == nil {
		qualifier, err = oneParam(r.URL.Query(), "Qualifier")
	}
	if err == nil {
		err = s.resolveLambdaTarget(r.Context(), inv, r.PathValue("function"), qualifier)
	}
	if err == nil && inv.kind == invokeAsync {
		s.handleLambdaEvent(w, r, inv) // lambdaapi_event.go
		return
	}
	if err != nil {
		s.writeLambdaError(w, r, inv, err)
		return
	}
	if inv.kind == invokeDryRun {
		w.Header().Set(amzRequestID, inv.requestID)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	// The payload must arrive within the read timeout, as on the gateway.
	clearDeadline := readDeadline(w, s.BodyReadTimeout)
	payload, err := readLambdaPayload(r)
	clearDeadline()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// Else net/http would wait for the rest of the body before answering.
		w.Header().Set("Connection", "close")
		err = bodyError(err, s.BodyReadTimeout)
	}
	if errors.Is(err, errNotJSON) {
		inv.writeOutcome(w, invalidContent, lambda.ErrorMessage(err))
		return
	}
	if err != nil {
		s.writeLambdaError(w, r, inv, err)
		return
	}
	key, err := idempotencyKey(r.Header)
	if err != nil {
		s.writeLambdaError(w, r, inv, err)
		return
	}
	// The function sees only the event: no SigV4 Authorization or other
	// client headers reach it, but its trace context does.
	trace, state := traceOf(r.Header)
	res, err := s.Invoker.Invoke(r.Context(), &lambda.InvokeRequest{
		Function: inv.name, Qualifier: inv.qualifier, Payload: payload, Trigger: lambda.TriggerAPI,
		RequestID: inv.requestID, LogTail: inv.tail, IdempotencyKey: key,
		Trace: trace, TraceState: state, ClientContext: inv.clientContext,
	})
	s.writeLambdaResult(w, r, inv, res, err)
}

// readHeaders checks the invocation and log types, absent meaning
// RequestResponse without logs as in Lambda, and the client context.
func (inv *lambdaInvocation) readHeaders(h http.Header) error {
	switch inv.kind = h.Get(amzInvocationType); inv.kind {
	case "":
		inv.kind = invokeSync
	case invokeSync, invokeAsync, invokeDryRun:
	default:
		return lambda.Errorf(lambda.EINVALID, "%s %q is not supported: use RequestResponse, Event or DryRun", amzInvocationType, inv.kind)
	}
	switch t := h.Get(amzLogType); t {
	case "", "None":
	case "Tail":
		inv.tail = inv.kind == invokeSync
	default:
		return lambda.Errorf(lambda.EINVALID, "%s %q is not supported: use None or Tail", amzLogType, t)
	}
	// Checked for every invocation type, so that a bad one fails the same
	// way whatever the type; only RequestResponse passes it on, as Lambda.
	var err error
	inv.clientContext, err = parseClientContext(h)
	return err
}

// resolveLambdaTarget finds the function and checks the qualifier: a
// version it has, or one of its aliases (the router then sends the call
// there); "" and $LATEST are live.
func (s *Server) resolveLambdaTarget(ctx context.Context, inv *lambdaInvocation, functionName, qualifier string) error {
	ref, err := parseFunctionName(functionName)
	if err == nil {
		ref, err = mergeQualifier(ref, qualifier)
	}
	if err != nil {
		return err
	}
	fn, err := s.findFunction(ctx, ref.Name)
	if lambda.ErrorCode(err) == lambda.ENOTFOUND || err == nil && fn.Active == nil {
		return lambda.NotDeployed(ref.Name)
	}
	if err != nil {
		return err
	}
	inv.name, inv.version, inv.qualifier = fn.Name, fn.ActiveVersion, ref.Qualifier
	inv.timeout = time.Duration(fn.Active.Config.WithDefaults().Timeout)
	inv.shim = fn.Active.Config.Protocol != "" && fn.Active.Config.Protocol != lambda.ProtocolHTTP
	q, err := lambda.ParseQualifier(ref.Qualifier)
	switch {
	case err != nil:
		return err
	case q.Version == fn.ActiveVersion || q == lambda.Qualifier{}:
		return nil
	case q.Version != 0:
		v, err := s.Store.FindVersion(ctx, fn.Name, q.Version)
		if err != nil {
			return err
		}
		inv.version = v.Number
		inv.timeout = time.Duration(v.Config.WithDefaults().Timeout)
		inv.shim = v.Config.Protocol != "" && v.Config.Protocol != lambda.ProtocolHTTP
		return nil
	}
	as, err := s.aliases()
	if err != nil {
		return lambda.Errorf(lambda.ENOTFOUND, "function %q has no alias %q: this server keeps no aliases", fn.Name, q.Alias)
	}
	a, err := as.GetAlias(ctx, fn.Name, q.Alias)
	if err != nil {
		return err
	}
	inv.version = a.Version // the version that serves tells itself in the answer
	return nil
}

// versionNumber reads a qualifier as a version number, spelled as Lambda
// spells them: digits without a leading zero.
func versionNumber(q string) (int, bool) {
	if q == "" || q[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(q)
	return n, err == nil && n > 0 && strconv.Itoa(n) == q
}

// readLambdaPayload reads and checks the payload as Lambda does: at most
// 6 MB of JSON. An empty payload is the event {}, as Lambda passes it.
func readLambdaPayload(r *http.Request) ([]byte, error) {
	tooLarge := lambda.Errorf(lambda.ETOOLARGE, "request must be smaller than %d bytes for the Invoke operation", lambda.MaxPayloadBytes)
	if r.ContentLength > lambda.MaxPayloadBytes {
		return nil, tooLarge
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, lambda.MaxPayloadBytes+1))
	switch {
	case err != nil:
		return nil, lambda.Errorf(lambda.EINVALID, "could not read the payload: %w", err)
	case len(payload) > lambda.MaxPayloadBytes:
		return nil, tooLarge
	case len(bytes.TrimSpace(payload)) == 0:
		return []byte("{}"), nil
	case !json.Valid(payload):
		return nil, notJSON(payload) // invocations.go
	case !utf8.Valid(payload):
		return nil, errNotUTF8
	}
	return payload, nil
}
