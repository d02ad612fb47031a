package shim

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strconv"
	"time"
)

// The AWS Lambda Runtime API, served to the function process.

const runtimeAPIPrefix = "/2018-06-01/runtime"

func (s *runtimeServer) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+runtimeAPIPrefix+"/invocation/next", s.next)
	mux.HandleFunc("POST "+runtimeAPIPrefix+"/invocation/{id}/response", s.response)
	mux.HandleFunc("POST "+runtimeAPIPrefix+"/invocation/{id}/error", s.invocationError)
	mux.HandleFunc("POST "+runtimeAPIPrefix+"/init/error", s.initError)
	mux.HandleFunc("GET "+runtimeAPIPrefix+"/preinit", s.preinit)
	return mux
}

// next hands the process the oldest waiting event. The first call ends
// initialisation: the shim starts listening then.
func (s *runtimeServer) next(w http.ResponseWriter, r *http.Request) {
	if !s.awaitPreinit(r) {
		return
	}
	s.initOnce.Do(func() { close(s.initDone) })
	inv, err := s.q.next(r.Context())
	if err != nil {
		return // the process went away
	}
	s.logs.setInvocation(inv.id)
	s.logs.tail.reset()
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", s.cfg.fn.arn)
	trace := inv.trace // the platform's trace, for the runtime's _X_AMZN_TRACE_ID
	if trace == "" {
		trace = newTraceID(time.Now())
	}
	h.Set("Lambda-Runtime-Trace-Id", trace)
	if inv.clientContext != "" {
		h.Set("Lambda-Runtime-Client-Context", inv.clientContext)
	}
	writeBody(w, http.StatusOK, "application/json", inv.event.Bytes())
	putBuffer(inv.event)
}

// response takes the result of the running invocation.
func (s *runtimeServer) response(w http.ResponseWriter, r *http.Request) {
	inv := s.q.running(r.PathValue("id"))
	if inv == nil {
		invalidRequestID(w, r.PathValue("id"))
		return
	}
	body := getBuffer()
	err := readBody(body, r.Body, r.ContentLength)
	res := result{kind: resOK, body: body}
	switch {
	case isTooLarge(err):
		res = result{kind: resFailure, errType: "Function.ResponseSizeTooLarge", message: "the function's response is over the 6 MB limit"}
	case err != nil:
		res = result{kind: resFailure, errType: "Runtime.InvalidResponse", message: "cannot read the function's response: " + err.Error()}
	case r.Trailer.Get("Lambda-Runtime-Function-Error-Type") != "":
		// A streamed response that failed half-way names its error in
		// trailers.
		doc, _ := base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body"))
		body.Reset()
		body.Write(doc)
		res = result{kind: resError, body: body, errType: r.Trailer.Get("Lambda-Runtime-Function-Error-Type")}
	}
	if !s.finish(inv, res) {
		putBuffer(body)
		invalidRequestID(w, inv.id)
		return
	}
	if isTooLarge(err) {
		putBuffer(body)
		writeErrorDoc(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "the response is over the 6 MB limit")
		return
	}
	accepted(w)
}

// invocationError takes the error the running invocation ended with.
func (s *runtimeServer) invocationError(w http.ResponseWriter, r *http.Request) {
	inv := s.q.running(r.PathValue("id"))
	if inv == nil {
		invalidRequestID(w, r.PathValue("id"))
		return
	}
	body := getBuffer()
	res := result{kind: resError, body: body, errType: r.Header.Get("Lambda-Runtime-Function-Error-Type")}
	if err := readBody(body, r.Body, r.ContentLength); err != nil {
		res = result{kind: resFailure, errType: "Runtime.InvalidResponse", message: "cannot read the function's error: " + err.Error()}
	}
	if !s.finish(inv, res) {
		putBuffer(body)
		invalidRequestID(w, inv.id)
		return
	}
	accepted(w)
}

// finish completes inv with res, with the log tail when it was asked for.
func (s *runtimeServer) finish(inv *invocation, res result) bool {
	if inv.tail {
		res.tail = s.logs.snapshot()
	}
	s.logs.endInvocation(inv.id)
	return s.q.complete(inv, res)
}

// initError records that the process could not initialise; the shim stops.
func (s *runtimeServer) initError(w http.ResponseWriter, r *http.Request) {
	var body bytes.Buffer
	_ = readBody(&body, r.Body, r.ContentLength)
	msg, typ := parseErrorDoc(body.Bytes(), r.Header.Get("Lambda-Runtime-Function-Error-Type"))
	accepted(w)
	s.fail("function initialisation failed: " + typ + ": " + msg)
}

func accepted(w http.ResponseWriter) {
	writeBody(w, http.StatusAccepted, "application/json", []byte(`{"status":"OK"}`))
}

func invalidRequestID(w http.ResponseWriter, id string) {
	writeErrorDoc(w, http.StatusBadRequest, "InvalidRequestID", "invocation "+strconv.Quote(id)+" is not running: answer the ID that /next returned, once")
}
