package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/lambdahq/lambda"
)

// DefaultServerURL is where the CLI looks for the server unless told otherwise.
const DefaultServerURL = "http://localhost:8080"

// Client talks to a Lambda server's control API. Errors the server reports
// come back as *lambda.Error with the server's code and message.
type Client struct {
	BaseURL    string
	HTTPClient *http.Client // nil: a client without timeout, as deploys and invokes may run long
	UserAgent  string
	// APIKey, when set, is sent as "Authorization: Bearer APIKey" on every
	// request.
	APIKey string
	// CACertFile, when set (and HTTPClient is nil), names a PEM CA
	// certificate trusted besides the system's roots (tls_client.go).
	CACertFile string
}

// NewClient returns a client for the server at baseURL. A URL without a
// scheme ("localhost:8080") is taken to mean http.
func NewClient(baseURL string) *Client {
	u := strings.TrimSpace(baseURL)
	if u == "" {
		u = DefaultServerURL
	}
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	return &Client{BaseURL: strings.TrimRight(u, "/"), UserAgent: "lambda-cli"}
}

// apiPath joins path segments, escaping each one so that a name can never
// climb out of its place in the path.
func apiPath(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		if s == "." || s == ".." {
			// Escaped so that no client or proxy cleans them away.
			b.WriteString(strings.ReplaceAll(s, ".", "%2E"))
			continue
		}
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// newRequest builds a request to path (from apiPath, plus any query) under
// the base URL.
func (c *Client) newRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	base, err := url.Parse(c.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, lambda.Errorf(lambda.EINVALID, "server URL %q is invalid: use a URL like %s", c.BaseURL, DefaultServerURL)
	}
	u := strings.TrimRight(c.BaseURL, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("build request %s %s: %w", method, u, err)
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	return req, nil
}

// send performs req, turning transport failures into errors that tell the
// user how to get a server running.
func (c *Client) send(req *http.Request) (*http.Response, error) {
	hc, err := c.httpClientFor()
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err == nil {
		return resp, nil
	}
	if ctxErr := req.Context().Err(); ctxErr != nil {
		return nil, ctxErr
	}
	if certErr := c.certificateError(err); certErr != nil {
		return nil, certErr
	}
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if (errors.As(err, &opErr) && opErr.Op == "dial") || errors.As(err, &dnsErr) {
		return nil, &UnreachableError{URL: c.BaseURL, Err: cause}
	}
	return nil, fmt.Errorf("request to the Lambda server at %s failed: %w", c.BaseURL, cause)
}

// UnreachableError reports that no server answered at URL.
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the Lambda server at %s: %v; start it with \"lambda server\" or point --server / LAMBDA_SERVER at it", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// doJSON sends in (if not nil) as JSON and decodes a 2xx answer into out
// (if not nil); any other answer becomes a *lambda.Error.
func (c *Client) doJSON(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := c.newRequest(ctx, method, path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return responseError(resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		// Another web server at that address answers 200 with HTML or text.
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			return fmt.Errorf("the server at %s answered %s %s with %s, not the Lambda API's JSON: is it a Lambda server? Point --server or LAMBDA_SERVER at one", c.BaseURL, method, req.URL.Path, orNone(ct))
		}
		return fmt.Errorf("decode answer of %s %s: %w", method, req.URL.Path, err)
	}
	return nil
}

func orNone(contentType string) string {
	if contentType == "" {
		return "no Content-Type"
	}
	return contentType
}
