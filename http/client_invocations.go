package http

import (
	"context"
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
// ignored). The page is full when it holds f.Limit (or the server's
// default) jobs: the next page is before the last one's CreatedAt.
func (c *Client) ListInvocations(ctx context.Context, name string, f lambda.JobFilter) ([]*lambda.Job, error) {
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
	return out.Invocations, nil
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
