package http

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"
)

// InvokeOptions refine an invocation.
type InvokeOptions struct {
	// Timeout, when set, shortens the function's timeout for this call.
	Timeout time.Duration
	// IdempotencyKey makes a repeated call with the same payload replay
	// the first one's answer (X-Lambda-Idempotent-Replay: true) instead
	// of running the function again.
	IdempotencyKey string
	// LogTail asks for the end of the invocation's output, base64 in the
	// answer's X-Lambda-Log-Result.
	LogTail bool
	// Qualifier sends the call to an alias or a version number ("": live).
	Qualifier string
}

// Invoke sends payload to the function name and returns its answer, which
// the caller must close. A function answering 4xx or 5xx is not an error:
// the caller gets its response. An error the platform itself reports (no
// such function, timeout, crash) comes back as a *lambda.Error.
func (c *Client) Invoke(ctx context.Context, name string, payload io.Reader, opts InvokeOptions) (*http.Response, error) {
	if payload == nil {
		payload = http.NoBody
	}
	p := apiPath("v1", "functions", name, "invoke")
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
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if opts.IdempotencyKey != "" {
		req.Header.Set(HeaderIdempotencyKey, opts.IdempotencyKey)
	}
	if opts.LogTail {
		req.Header.Set(HeaderLogType, "Tail")
	}
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	// Only the platform marks its answers with ErrorHeader; a function's
	// own error JSON is its answer.
	if resp.StatusCode < 400 || resp.Header.Get(ErrorHeader) == "" {
		return resp, nil
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return resp, nil
	}
	// Peek at the body: the platform's error documents are small, a
	// function's answer is given back untouched, read or not.
	head, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody+1))
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	if len(head) <= maxErrorBody {
		if e := parseErrorBody(head); e != nil {
			resp.Body.Close()
			return nil, e
		}
	}
	resp.Body = &peekedBody{Reader: io.MultiReader(bytes.NewReader(head), resp.Body), Closer: resp.Body}
	return resp, nil
}

type peekedBody struct {
	io.Reader
	io.Closer
}
