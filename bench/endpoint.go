package bench

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// Endpoint is an HTTP endpoint the load generator calls.
type Endpoint struct {
	URL    string // absolute, e.g. http://127.0.0.1:8080/
	Host   string // Host header, e.g. NAME.localhost for the gateway; "" keeps the URL's
	Method string // "" is GET, or POST when Body is set
	Body   []byte
	Header http.Header // sent with every request, e.g. Authorization
}

// NewTransport returns the keep-alive transport the load generator shares
// between workers: enough idle connections per host for every worker, so
// no request pays for a new connection once the load runs.
func NewTransport(conns int) *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        4 * conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// request is one worker's reusable request: sending it again costs no
// allocation of ours, only the transport's. Its body is a *bytes.Reader
// in io.NopCloser, one of the few bodies net/http knows to be in memory:
// with any other (it was a reader type of the bench's own), the transport
// flushes the headers before copying the body, so every POST cost two
// write system calls on the client and often two reads on the server,
// where a real client's small request is one of each.
type request struct {
	req  *http.Request
	data []byte
	rd   *bytes.Reader
	body io.ReadCloser // io.NopCloser(rd)
}

func (t Endpoint) newRequest(ctx context.Context) (*request, error) {
	method := t.Method
	if method == "" {
		method = http.MethodGet
		if t.Body != nil {
			method = http.MethodPost
		}
	}
	r := &request{}
	var body io.Reader
	if t.Body != nil {
		r.data, r.rd = t.Body, bytes.NewReader(t.Body)
		r.body = io.NopCloser(r.rd)
		body = r.body
	}
	req, err := http.NewRequestWithContext(ctx, method, t.URL, body)
	if err != nil {
		return nil, err
	}
	if t.Host != "" {
		req.Host = t.Host
	}
	for k, v := range t.Header {
		req.Header[k] = v
	}
	if r.body != nil {
		req.ContentLength = int64(len(t.Body))
		req.GetBody = func() (io.ReadCloser, error) { r.rd.Reset(r.data); return r.body, nil }
		req.Header.Set("Content-Type", "application/json")
	}
	r.req = req
	return r, nil
}

// prepare rewinds the body for the next send.
func (r *request) prepare() *http.Request {
	if r.body != nil {
		r.rd.Reset(r.data)
		r.req.Body = r.body
	}
	return r.req
}
