package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// defaultWaitTimeout bounds --wait: past the default retries (1 min, then
// 2 min) with room for slow attempts, yet not forever.
const defaultWaitTimeout = 30 * time.Minute

// Polling of a waited-for invocation: quick at first, as most end within a
// second, then at most every pollMax.
const (
	pollFirst = 100 * time.Millisecond
	pollMax   = 2 * time.Second
)

// runInvokeAsync queues the invocation and prints its ID (its record with
// -o json), or follows it with --wait.
func runInvokeAsync(ctx context.Context, s *streams, root *rootOptions, o *invokeOptions, name string, payload []byte, opts lambdahttp.InvokeOptions) error {
	if len(payload) > lambda.MaxAsyncPayloadBytes {
		return lambda.Errorf(lambda.ETOOLARGE, "the payload (%d bytes) is over the limit of an asynchronous invocation, %d MB (%d bytes): send a smaller event, such as a reference to data the function fetches", len(payload), lambda.MaxAsyncPayloadBytes>>20, lambda.MaxAsyncPayloadBytes)
	}
	c := root.client()
	job, replay, err := c.SubmitInvocation(ctx, name, bytes.NewReader(payload), opts)
	if err != nil {
		return err
	}
	if replay {
		fmt.Fprintf(s.Err, "Idempotency key %q names invocation %s, created %s: it was not queued again.\n", o.idempotencyKey, job.ID, timestamp(job.CreatedAt))
	}
	if !o.wait {
		if o.output == outputJSON {
			return printJSON(s.Out, job)
		}
		fmt.Fprintln(s.Out, job.ID)
		return nil
	}
	if job.Pending() {
		fmt.Fprintf(s.Err, "Invocation %s is %s; waiting for it to end (Ctrl-C stops waiting, not the invocation).\n", job.ID, job.Status)
		if job, err = waitInvocation(ctx, s, c, job, o.waitTimeout); err != nil {
			return err
		}
	} else if job.Response == nil {
		// An idempotent repeat of an ended invocation: the acknowledgment
		// carries no response, the record does.
		if job, err = c.GetInvocation(ctx, job.ID); err != nil {
			return err
		}
	}
	if o.output == outputJSON {
		err = printJSON(s.Out, job)
	} else if len(job.Response) > 0 {
		err = copyBody(s.Out, bytes.NewReader(job.Response))
	}
	if err != nil {
		return err
	}
	if o.log && len(job.History) > 0 {
		if logs := job.History[len(job.History)-1].Logs; logs != "" {
			printLog(s, logs)
		}
	}
	if job.ResponseTruncated {
		fmt.Fprintf(s.Err, "The response was cut: the record keeps its first %d KB.\n", lambda.MaxStoredResponseBytes>>10)
	}
	switch {
	case job.Status != lambda.StatusSucceeded:
		msg := fmt.Sprintf("invocation %s of %q ended %s after %d attempt(s)", job.ID, name, job.Status, job.Attempts)
		if e := jobError(job); e != "" {
			msg += ": " + e
		}
		return fmt.Errorf("%s; see each attempt's logs with \"lambda invocation %s\"", msg, job.ID)
	case job.HTTPStatus >= 400:
		return fmt.Errorf("function %q answered %d %s", name, job.HTTPStatus, http.StatusText(job.HTTPStatus))
	}
	return nil
}

// waitInvocation polls the invocation until it ends, reporting each change
// of status to stderr. It gives up after limit, or when ctx ends (Ctrl-C):
// the invocation goes on either way.
func waitInvocation(ctx context.Context, s *streams, c *lambdahttp.Client, job *lambda.Job, limit time.Duration) (*lambda.Job, error) {
	deadline := time.Now().Add(limit)
	last := progressLine(job)
	delay := pollFirst
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for job.Pending() {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped waiting (interrupted): invocation %s goes on (it was %s); follow it with \"lambda invocation %s\"", job.ID, job.Status, job.ID)
		case <-timer.C:
		}
		next, err := c.GetInvocation(ctx, job.ID)
		switch {
		case ctx.Err() != nil:
			continue // the select reports it
		case transient(err):
			// A server restarting keeps its jobs: wait for it to come back.
			if line := fmt.Sprintf("the server does not answer (%v); still waiting", err); line != last {
				fmt.Fprintln(s.Err, line)
				last = line
			}
		case err != nil:
			// Say the job is queued: a user who submitted it again would
			// run it twice.
			return nil, fmt.Errorf("invocation %s is queued and goes on, but following it failed: %w; follow it with \"lambda invocation %s\" rather than invoking again", job.ID, err, job.ID)
		default:
			job = next
			if line := progressLine(job); line != last {
				fmt.Fprintln(s.Err, line)
				last = line
			}
		}
		if job.Pending() && !time.Now().Before(deadline) {
			return nil, fmt.Errorf("stopped waiting after %s (--wait-timeout): invocation %s is still %s and goes on; follow it with \"lambda invocation %s\"", lambda.FormatDuration(limit), job.ID, job.Status, job.ID)
		}
		delay = min(delay*2, pollMax)
		timer.Reset(min(delay, time.Until(deadline)))
	}
	return job, nil
}

// transient reports whether err says the server is away for now rather
// than that the invocation cannot be followed.
func transient(err error) bool {
	var unreachable *lambdahttp.UnreachableError
	return errors.As(err, &unreachable) || lambda.ErrorCode(err) == lambda.EUNAVAILABLE
}

// progressLine says where an invocation stands, for stderr.
func progressLine(j *lambda.Job) string {
	switch j.Status {
	case lambda.StatusRunning:
		return fmt.Sprintf("running (attempt %d)", j.Attempts+1)
	case lambda.StatusRetrying:
		line := fmt.Sprintf("retrying at %s", timestamp(j.NextRunAt))
		if e := jobError(j); e != "" {
			line += fmt.Sprintf(" (attempt %d failed: %s)", j.Attempts, e)
		}
		return line
	case lambda.StatusQueued:
		return "queued"
	}
	line := j.Status
	if j.StartedAt != nil {
		line += fmt.Sprintf(" after %d attempt(s), the last took %s", j.Attempts, roundDuration(time.Duration(j.Duration)))
	}
	return line
}

// invokeRecord is what -o json prints for a synchronous invocation.
type invokeRecord struct {
	RequestID     string `json:"request_id"`
	TraceID       string `json:"trace_id,omitempty"` // the W3C trace it ran under
	StatusCode    int    `json:"status_code"`
	Version       int    `json:"version,omitempty"`
	ColdStart     bool   `json:"cold_start"`
	FunctionError string `json:"function_error,omitempty"`
	Replayed      bool   `json:"replayed,omitempty"`
	// Response is the function's answer: itself when it is JSON, else a
	// JSON string of it.
	Response json.RawMessage `json:"response"`
	Log      string          `json:"log,omitempty"`
}

// printInvokeJSON writes a synchronous answer as an invokeRecord.
func printInvokeJSON(w io.Writer, resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	h := resp.Header
	rec := invokeRecord{
		RequestID: h.Get(lambdahttp.HeaderRequestID), TraceID: h.Get(lambdahttp.HeaderTraceID), StatusCode: resp.StatusCode,
		FunctionError: h.Get(lambdahttp.HeaderFunctionError), Replayed: h.Get(lambdahttp.HeaderIdempotentReplay) == "true",
	}
	rec.Version, _ = strconv.Atoi(h.Get("X-Lambda-Version"))
	rec.ColdStart, _ = strconv.ParseBool(h.Get("X-Lambda-Cold-Start"))
	if log, err := base64.StdEncoding.DecodeString(h.Get(lambdahttp.HeaderLogResult)); err == nil {
		rec.Log = string(log)
	}
	if json.Valid(body) {
		rec.Response = body
	} else if rec.Response, err = json.Marshal(string(body)); err != nil {
		return err
	}
	return printJSON(w, rec)
}

// printLogTail writes a base64 log tail (HeaderLogResult) to stderr.
func printLogTail(s *streams, b64 string) {
	if b64 == "" {
		fmt.Fprintln(s.Err, "No log: the function wrote nothing during the call, or its protocol (http) keeps no per-call log.")
		return
	}
	log, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		fmt.Fprintf(s.Err, "The log tail is not valid base64: %v\n", err)
		return
	}
	printLog(s, string(log))
}

// printLog writes a function's output to stderr under a title line, so it
// stays apart from the response on stdout; each line escaped as lambda
// logs prints it (printable), since the output is the function's to choose.
func printLog(s *streams, log string) {
	fmt.Fprintln(s.Err, "--- log ---")
	for _, line := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		fmt.Fprintln(s.Err, printable(line))
	}
}
