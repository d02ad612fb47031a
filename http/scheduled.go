package http

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"github.com/lambdahq/lambda"
)

// InvokeScheduled runs function with payload through the same gateway path
// as an HTTP request, for the cron scheduler. A status of 400 or more is an
// error carrying the start of the function's answer.
func (s *Server) InvokeScheduled(ctx context.Context, function string, payload []byte) (err error) {
	s.Handler() // builds the gateway when no listener was opened
	r, err := http.NewRequestWithContext(withKey(ctx, schedulerKey), http.MethodPost, "/", bytes.NewReader(payload))
	if err != nil {
		return err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Lambda-Trigger", "cron")
	r.Host = "localhost"
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	defer func() {
		// The proxy aborts with a panic when the function's response breaks off.
		if p := recover(); p != nil {
			err = lambda.Errorf(lambda.EFUNCTION, "function %q broke off its response", function)
		}
	}()
	s.gateway.serve(rec, r, function, invocation{raw: true})
	if rec.status >= 400 {
		return lambda.Errorf(lambda.EFUNCTION, "function %q answered %d: %s", function, rec.status, strings.TrimSpace(rec.body.String()))
	}
	return nil
}

// recorder is a ResponseWriter that keeps the status and the first KB.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if room := 1024 - r.body.Len(); room > 0 {
		r.body.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (r *recorder) Flush() {}
