package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// runtimeClient speaks the AWS Lambda Runtime API served by the shim.
type runtimeClient struct {
	base string // http://host:port/2018-06-01
	http *http.Client
}

// invocation is one event taken from GET /runtime/invocation/next.
type invocation struct {
	id         string
	deadlineMS int64 // 0 when the header is absent
	body       []byte
	// clientContext is Lambda-Runtime-Client-Context, or "".
	clientContext string
}

func newRuntimeClient(api string, conns int) *runtimeClient {
	// No proxy and no client timeout: the API is local and next is a long
	// poll that lasts until the next request arrives.
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: conns + 1,
	}
	return &runtimeClient{base: "http://" + api + "/2018-06-01", http: &http.Client{Transport: tr}}
}

func (c *runtimeClient) next(ctx context.Context) (*invocation, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/runtime/invocation/next", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the next invocation: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the Runtime API answered GET next with %s: %s", resp.Status, snippet(body))
	}
	inv := &invocation{id: resp.Header.Get("Lambda-Runtime-Aws-Request-Id"), body: body}
	if inv.id == "" {
		return nil, fmt.Errorf("the Runtime API sent an invocation without a Lambda-Runtime-Aws-Request-Id header")
	}
	if d := resp.Header.Get("Lambda-Runtime-Deadline-Ms"); d != "" {
		inv.deadlineMS, _ = strconv.ParseInt(d, 10, 64)
	}
	inv.clientContext = resp.Header.Get("Lambda-Runtime-Client-Context")
	return inv, nil
}

func (c *runtimeClient) respond(ctx context.Context, id string, body []byte) error {
	return c.post(ctx, "/runtime/invocation/"+url.PathEscape(id)+"/response", body)
}

func (c *runtimeClient) fail(ctx context.Context, id string, doc errorDoc) error {
	body, _ := json.Marshal(doc)
	return c.post(ctx, "/runtime/invocation/"+url.PathEscape(id)+"/error", body)
}

func (c *runtimeClient) initError(ctx context.Context, doc errorDoc) error {
	body, _ := json.Marshal(doc)
	return c.post(ctx, "/runtime/init/error", body)
}

func (c *runtimeClient) post(ctx context.Context, path string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the Runtime API answered POST %s with %s: %s", path, resp.Status, snippet(answer))
	}
	return nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
