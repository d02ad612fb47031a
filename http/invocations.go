package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lambdahq/lambda"
)

// Headers of idempotent calls, sync and async.
const (
	HeaderIdempotencyKey    = "Idempotency-Key"
	HeaderIdempotentReplay  = "X-Lambda-Idempotent-Replay"
	maxRedriveIDs           = lambda.MaxJobListLimit
	invocationsNotAvailable = "asynchronous invocations are not available on this server"
)

// InvocationList is the body of GET /v1/functions/{name}/invocations.
type InvocationList struct {
	Invocations []*lambda.Job `json:"invocations"`
	// NextCursor, set when the page is full, is the "cursor" that lists
	// the next (older) page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// RedriveRequest is the body of POST /v1/functions/{name}/redrive: the
// dead invocations to queue again, or all of them.
type RedriveRequest struct {
	IDs []string `json:"ids,omitempty"`
	All bool     `json:"all,omitempty"`
}

// RedriveResult is the answer of a redrive: the jobs queued again.
type RedriveResult struct {
	Redriven []*lambda.Job `json:"redriven"`
}

// handleSubmitInvocation queues an event for the function: 202 once the
// job is committed, with its record and Location. Everything that can be
// refused is refused before the queue sees it; the function is checked
// through s.Lookup, from memory on the server (a store read here would
// cost a submission as much as its insert).
func (s *Server) handleSubmitInvocation(w http.ResponseWriter, r *http.Request) {
	req, err := s.asyncRequest(r, r.PathValue("name"), lambda.TriggerAsync)
	if err == nil {
		err = s.lookupFunction(r.Context(), req.Function)
	}
	if err == nil {
		clearDeadline := readDeadline(w, s.BodyReadTimeout)
		req.Payload, err = readEvent(r, lambda.MaxAsyncPayloadBytes, "an asynchronous invocation")
		clearDeadline()
		err = s.bodyReadError(w, err)
	}
	if err != nil {
		// Refused before the queue: a misspelt name gets the hint (only
		// here, on the error path; the submission itself lists nothing).
		s.writeFunctionError(w, r, err)
		return
	}
	job, created, err := s.Async.Submit(r.Context(), req)
	if err != nil {
		setKeyOwner(w.Header(), err)
		writeError(w, r, s.Logger, err)
		return
	}
	w.Header().Set("Location", "/v1/invocations/"+job.ID)
	w.Header().Set(HeaderRequestID, job.ID)
	if !created {
		w.Header().Set(HeaderIdempotentReplay, "true")
	}
	respondJSON(w, http.StatusAccepted, summary(job))
}

// asyncRequest reads what an asynchronous submission says besides its
// payload: the function, the qualifier, the idempotency key and the
// per-call timeout.
func (s *Server) asyncRequest(r *http.Request, name string, trigger lambda.Trigger) (*lambda.InvokeRequest, error) {
	if s.Async == nil {
		return nil, lambda.Errorf(lambda.ENOTIMPLEMENTED, "%s", invocationsNotAvailable)
	}
	if err := lambda.ValidateName(name); err != nil {
		return nil, err
	}
	key, err := idempotencyKey(r.Header)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	timeout, err := timeoutQuery(q)
	if err != nil {
		return nil, err
	}
	trace, _ := traceOf(r.Header) // a job keeps its submitter's trace, not its tracestate
	// The queue checks the qualifier (an alias or version) with the function.
	qualifier, err := oneParam(q, "qualifier")
	if err != nil {
		return nil, err
	}
	return &lambda.InvokeRequest{Function: name, Qualifier: qualifier, Trigger: trigger, IdempotencyKey: key, Timeout: timeout, Trace: trace}, nil
}

// checkFunction refuses an invocation of a function that cannot run, so
// that nothing is queued for it.
func (s *Server) checkFunction(ctx context.Context, name string) error {
	fn, err := s.findFunction(ctx, name)
	if err != nil {
		return err
	}
	if fn.Active == nil {
		return lambda.Errorf(lambda.ENOTFOUND, "function %q has no active version: deploy it first", name)
	}
	return nil
}

// lookupFunction is checkFunction through s.Lookup.
func (s *Server) lookupFunction(ctx context.Context, name string) error {
	var err error
	if s.Lookup == nil {
		err = s.checkFunction(ctx, name)
	} else {
		_, err = s.Lookup.LookupFunction(ctx, name)
	}
	if lambda.ErrorCode(err) == lambda.ENOTFOUND {
		return lambda.NotDeployed(name)
	}
	return err
}

// bodyReadError turns a body that did not arrive in time into the
// client-timeout error, closing the connection: net/http would otherwise
// wait for the rest of the body before answering.
func (s *Server) bodyReadError(w http.ResponseWriter, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		w.Header().Set("Connection", "close")
	}
	return bodyError(err, s.BodyReadTimeout)
}

// readEvent reads an invocation's event, at most limit bytes of one JSON
// value; an empty body is the event {}, as Lambda passes it. A payload
// that is not JSON is an EINVALID wrapping errNotJSON.
func readEvent(r *http.Request, limit int, what string) ([]byte, error) {
	tooLarge := func(n string) error {
		return lambda.Errorf(lambda.ETOOLARGE, "the payload%s is over the limit of %s, %d MB (%d bytes): send a smaller event, such as a reference to data the function fetches", n, what, limit>>20, limit)
	}
	if r.ContentLength > int64(limit) {
		return nil, tooLarge(fmt.Sprintf(" of %d bytes", r.ContentLength))
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read the payload: %w", err)
	case len(payload) > limit:
		return nil, tooLarge("")
	case len(bytes.TrimSpace(payload)) == 0:
		return []byte("{}"), nil
	case !json.Valid(payload):
		return nil, notJSON(payload)
	case !utf8.Valid(payload):
		return nil, errNotUTF8
	}
	return payload, nil
}

// maxJSONDepth is how deep encoding/json reads nested arrays and objects.
const maxJSONDepth = 10000

// notJSON refuses a payload json.Valid rejects, saying where it broke. A
// document nested deeper than encoding/json reads is JSON all the same:
// "send a JSON document" would send its author looking for a typo.
func notJSON(payload []byte) error {
	detail := "it is not a single JSON value"
	var syntax *json.SyntaxError
	if err := json.Unmarshal(payload, new(json.RawMessage)); errors.As(err, &syntax) {
		if strings.HasSuffix(syntax.Error(), "exceeded max depth") {
			msg := fmt.Sprintf("the payload's JSON nests arrays and objects deeper than %d levels (at byte %d), more than this server reads: flatten it", maxJSONDepth, syntax.Offset)
			return &lambda.Error{Code: lambda.EINVALID, Message: msg, Err: errNotJSON}
		}
		detail = syntax.Error() + " at byte " + strconv.FormatInt(syntax.Offset, 10)
	}
	msg := "could not parse the payload as JSON (" + detail + "): send a JSON document such as {\"key\":\"value\"}"
	return &lambda.Error{Code: lambda.EINVALID, Message: msg, Err: errNotJSON}
}

// idempotencyKey reads the Idempotency-Key header: "" when absent. Two of
// them are refused, as two Authorization headers are: which one the
// caller meant is not for the server to guess.
func idempotencyKey(h http.Header) (string, error) {
	keys := h.Values(HeaderIdempotencyKey)
	switch {
	case len(keys) == 0:
		return "", nil
	case len(keys) > 1:
		return "", lambda.Errorf(lambda.EINVALID, "the request has %d %s headers: send one", len(keys), HeaderIdempotencyKey)
	case keys[0] == "":
		// The caller asked for a key (its variable was unset, say): run
		// without one, its retry would run the function a second time.
		return "", lambda.Errorf(lambda.EINVALID, "%s is empty: send a key, such as a UUID, or leave the header out", HeaderIdempotencyKey)
	}
	if err := lambda.ValidateIdempotencyKey(keys[0]); err != nil {
		return "", lambda.Errorf(lambda.EINVALID, "%s", strings.Replace(lambda.ErrorMessage(err), "the idempotency key", HeaderIdempotencyKey, 1))
	}
	return keys[0], nil
}

// oneParam reads a query parameter given at most once: of ?qualifier=live&qualifier=1,
// Get would take the first, and the call would run where the caller may
// not have meant. Absent is "".
func oneParam(q url.Values, name string) (string, error) {
	if n := len(q[name]); n > 1 {
		return "", lambda.Errorf(lambda.EINVALID, "%s is given %d times: send one", name, n)
	}
	return q.Get(name), nil
}

// timeoutQuery reads ?timeout=D, given at most once (timeoutParam).
func timeoutQuery(q url.Values) (time.Duration, error) {
	v, err := oneParam(q, "timeout")
	if err != nil {
		return 0, err
	}
	return timeoutParam(v)
}

// timeoutParam reads a per-call timeout (?timeout=D): "" is none. It may
// only shorten the function's timeout, which the invoker enforces.
func timeoutParam(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, lambda.Errorf(lambda.EINVALID, "timeout %q is not a duration: use a value such as 500ms, 10s or 2m", v)
	}
	if d < time.Millisecond || d > lambda.MaxTimeout {
		return 0, lambda.Errorf(lambda.EINVALID, "timeout %s is out of range 1ms-%s", d, lambda.FormatDuration(lambda.MaxTimeout))
	}
	return d, nil
}

// summary is a job without its payload and response, which can be large:
// answers that acknowledge or list jobs carry the rest.
func summary(j *lambda.Job) *lambda.Job {
	c := *j
	c.Payload, c.Response = nil, nil
	return &c
}

func (s *Server) handleGetInvocation(w http.ResponseWriter, r *http.Request) {
	if !s.invocationsAvailable() {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.ENOTIMPLEMENTED, "%s", invocationsNotAvailable))
		return
	}
	id := r.PathValue("id")
	job, err := s.findInvocation(r.Context(), id)
	// A key limited to functions learns nothing of the others' jobs, not
	// even that they exist.
	if err == nil && !allowed(r.Context(), scopeReadOrInvoke, job.Function) {
		err = lambda.Errorf(lambda.ENOTFOUND, "not allowed")
	}
	if lambda.ErrorCode(err) == lambda.ENOTFOUND {
		err = lambda.Errorf(lambda.ENOTFOUND, "invocation %q not found: IDs are those `lambda invoke --async` printed; list a function's with `lambda invocations NAME` (finished asynchronous ones are kept for the server's --invocation-retention, the last %d synchronous ones of each function)", id, lambda.MaxInvocationsKept)
	}
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	job = job.Clone() // the store's may be shared
	job.LinkAttemptLogs()
	respondJSON(w, http.StatusOK, job)
}

func (s *Server) handleListInvocations(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f, err := jobFilter(r, name, time.Now())
	if err == nil && !s.invocationsAvailable() {
		err = lambda.Errorf(lambda.ENOTIMPLEMENTED, "%s", invocationsNotAvailable)
	}
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	jobs, next, err := s.listInvocations(r.Context(), f)
	if err == nil && len(jobs) == 0 {
		// A typo'd name is an error, not an empty history; a deleted
		// function's history is listed while it is kept.
		err = s.checkFunction(r.Context(), name)
	}
	if err != nil {
		s.writeFunctionError(w, r, err)
		return
	}
	out := InvocationList{Invocations: make([]*lambda.Job, 0, len(jobs))}
	for _, j := range jobs {
		out.Invocations = append(out.Invocations, summary(j))
	}
	out.NextCursor = next
	respondJSON(w, http.StatusOK, out)
}

// listingParams are the query parameters jobFilter reads, each at most once.
var listingParams = []string{"status", "since", "before", "cursor", "limit"}

// jobFilter reads the listing's query: status, since (a duration back from
// now or an RFC 3339 time), before (an RFC 3339 time), limit and cursor
// (the next_cursor of the previous page).
func jobFilter(r *http.Request, name string, now time.Time) (lambda.JobFilter, error) {
	f := lambda.JobFilter{Function: name, Limit: lambda.DefaultJobListLimit}
	if err := lambda.ValidateName(name); err != nil {
		return f, err
	}
	q := r.URL.Query()
	// Get reads the first of a repeated parameter: ?status=succeeded&status=failed
	// listed the succeeded only, as if it were all that was asked for.
	for _, p := range listingParams {
		if n := len(q[p]); n > 1 {
			return f, lambda.Errorf(lambda.EINVALID, "%s is given %d times: a listing takes one %s; list each separately", p, n, p)
		}
	}
	if st := q.Get("status"); st != "" {
		if !slices.Contains(lambda.InvocationStatuses, st) {
			return f, lambda.Errorf(lambda.EINVALID, "status %q is not a status: use one of %s", st, strings.Join(lambda.InvocationStatuses, ", "))
		}
		f.Status = st
	}
	if v := q.Get("since"); v != "" {
		t, err := pastTime(v, now)
		if err != nil {
			return f, lambda.Errorf(lambda.EINVALID, "since %q is invalid: %s", v, err)
		}
		f.Since = t
	}
	if v := q.Get("before"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return f, lambda.Errorf(lambda.EINVALID, "before %q is not an RFC 3339 time such as 2026-12-05T10:00:00.123Z: to list the next page, pass the previous page's next_cursor as cursor", v)
		}
		f.Before = t
	}
	if v := q.Get("cursor"); v != "" {
		c, err := lambda.ParseJobCursor(v)
		if err != nil {
			return f, err
		}
		f.After = c
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > lambda.MaxJobListLimit {
			return f, lambda.Errorf(lambda.EINVALID, "limit %q is invalid: use a number from 1 to %d", v, lambda.MaxJobListLimit)
		}
		f.Limit = n
	}
	return f, nil
}

// pastTime reads a point in the past as a duration back from now ("1h",
// "30m", "7d") or an RFC 3339 time.
func pastTime(v string, now time.Time) (time.Time, error) {
	return lambda.ParsePastTime(v, now)
}
