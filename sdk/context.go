package sdk

import (
	"context"
	"encoding/json"
	"time"
)

// Context describes the invocation a handler is serving. Get it with
// FromContext; the context.Context given to a handler also carries the
// deadline, so calls made with it stop when the invocation times out.
type Context struct {
	FunctionName    string
	FunctionVersion string
	InvocationID    string
	// Deadline is when the platform gives up on the invocation; zero when
	// the platform sent none.
	Deadline      time.Time
	MemoryLimitMB int
	// Request is the HTTP request that caused the invocation, nil for a
	// direct invocation (lambda invoke, cron, the Lambda Invoke API).
	Request *Request
	// ClientContext is the client context a caller of the Lambda Invoke
	// API sent (ClientContext in the AWS SDKs), a JSON object such as
	// {"client":{…},"custom":{…},"env":{…}}; nil when there is none.
	// Lambda passes it to synchronous invocations only.
	ClientContext json.RawMessage
}

// Request is the HTTP request behind an invocation. Header names are lower
// case; repeated headers and query parameters are joined with ",".
type Request struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Query   map[string]string `json:"query"`
	// Body is the raw body: UTF-8 text, or base64 when IsBase64Encoded.
	Body            string `json:"body"`
	IsBase64Encoded bool   `json:"isBase64Encoded"`
}

// RemainingTime is how long the invocation may still run: negative once
// the deadline has passed, zero when there is no deadline.
func (c *Context) RemainingTime() time.Duration {
	if c.Deadline.IsZero() {
		return 0
	}
	return time.Until(c.Deadline)
}

type contextKey struct{}

// NewContext returns a copy of parent carrying c, for testing handlers
// outside the platform. It does not set a deadline.
func NewContext(parent context.Context, c *Context) context.Context {
	return context.WithValue(parent, contextKey{}, c)
}

// FromContext returns the invocation described by ctx, if any.
func FromContext(ctx context.Context) (*Context, bool) {
	c, ok := ctx.Value(contextKey{}).(*Context)
	return c, ok && c != nil
}

// isHTTP reports whether ctx belongs to an invocation made by an HTTP
// request, where bad input is answered with 400 rather than an error.
func isHTTP(ctx context.Context) bool {
	c, ok := FromContext(ctx)
	return ok && c.Request != nil
}
