package http

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/lambdahq/lambda"
)

// GetInvocation returns the full record of an invocation: its payload,
// outcome and every attempt with its logs.
func (c *Client) GetInvocation(ctx context.Context, id string) (*lambda.Job, error) {
	var out lambda.Job
	if err := c.doJSON(ctx, http.MethodGet, apiPath("v1", "invocations", id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListInvocations lists a function's invocations newest first, without
// their payloads and responses, as selected by f (its Function is
// ignored). See ListInvocationsPage for the next page.
func (c *Client) ListInvocations(ctx context.Context, name string, f lambda.JobFilter) ([]*lambda.Job, error) {
	page, err := c.ListInvocationsPage(ctx, name, f)
	if err != nil {
		return nil, err
	}
	return page.Invocations, nil
}

// ListInvocationsPage lists a page of a function's invocations as
// ListInvocations does, with the cursor of the next page when it is full:
// f.After set to ParseJobCursor(NextCursor) lists it.
func (c *Client) ListInvocationsPage(ctx context.Context, name string, f lambda.JobFilter) (*InvocationList, error) {
	q := url.Values{}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Before.IsZero() {
		q.Set("before", f.Before.UTC().Format(time.RFC3339Nano))
	}
	if f.After != nil {
		q.Set("cursor", f.After.String())
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	p := apiPath("v1", "functions", name, "invocations")
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	var out InvocationList
	if err := c.doJSON(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Redrive queues dead invocations of a function again: those named by ids,
// or every dead one with all. It returns the jobs queued.
func (c *Client) Redrive(ctx context.Context, name string, ids []string, all bool) ([]*lambda.Job, error) {
	var out RedriveResult
	if err := c.doJSON(ctx, http.MethodPost, apiPath("v1", "functions", name, "redrive"), RedriveRequest{IDs: ids, All: all}, &out); err != nil {
		return nil, err
	}
	return out.Redriven, nil
}

// SubmitInvocation queues payload as an asynchronous invocation of name and
// returns its job once the server committed it. replay is true when
// opts.IdempotencyKey named an earlier invocation: the job is that one, and
// nothing new was queued. opts.LogTail does not apply: each attempt's logs
// are in the record.
func (c *Client) SubmitInvocation(ctx context.Context, name string, payload io.Reader, opts InvokeOptions) (job *lambda.Job, replay bool, err error) {
	if payload == nil {
		payload = http.NoBody
	}
	p := apiPath("v1", "functions", name, "invocations")
	q := url.Values{}
	if opts.Timeout > 0 {
		q.Set("timeout", opts.Timeout.String())
	}
	if opts.Qualifier != "" {
		q.Set("qualifier", opts.Qualifier)
	}
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	req, err := c.newRequest(ctx, http.MethodPost, p, payload)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if opts.IdempotencyKey != "" {
		req.Header.Set(HeaderIdempotencyKey, opts.IdempotencyKey)
	}
	resp, err := c.send(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
		return nil, false, responseError(resp)
	}
	var out lambda.Job
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJSONBody)).Decode(&out); err != nil {
		return nil, false, fmt.Errorf("decode the answer to the invocation of %q: %w", name, err)
	}
	return &out, resp.Header.Get(HeaderIdempotentReplay) == "true", nil
}
