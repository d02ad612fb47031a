package http

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
)

// Invoke sends payload to the function name and returns its answer, which
// the caller must close. A function answering 4xx or 5xx is not an error:
// the caller gets its response. An error the platform itself reports (no
// such function, timeout, crash) comes back as a *lambda.Error.
func (c *Client) Invoke(ctx context.Context, name string, payload io.Reader) (*http.Response, error) {
	if payload == nil {
		payload = http.NoBody
	}
	req, err := c.newRequest(ctx, http.MethodPost, apiPath("v1", "functions", name, "invoke"), payload)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
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
