package http

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/lambdahq/lambda"
)

// The access log is the outermost layer of a route's middleware chain
// (route, routes.go): one line per control-API request, written when its
// answer ends, so a followed log or a deploy's progress stream is logged
// when it closes, with what it sent. The data path (the gateway and the
// Lambda Invoke API) is not logged: its invocations are observed through
// their records (metrics, history, the functions' own logs), and a line
// per invocation would put the log writer's lock on the warm path.

// HeaderAPIRequestID carries a control-API request's ID, the one its access
// log line and error logs carry. (An invocation's ID is X-Lambda-Request-Id.)
const HeaderAPIRequestID = "X-Request-Id"

// maxRequestIDLen bounds a client's request ID: enough for a UUID, a trace
// ID or a proxy's own, too little to fill the log.
const maxRequestIDLen = 128

// maxLoggedPath bounds the path a line carries: an unknown route's path is
// the client's to choose, up to the header limit.
const maxLoggedPath = 512

// accessPolicy says how a route's requests are logged.
type accessPolicy uint8

const (
	// accessLogged: info, warn for a function's failure answered as the
	// platform's (502, 504), error for the platform's own 5xx.
	accessLogged accessPolicy = iota
	// accessProbe: debug whatever the outcome (/healthz, /metrics), as
	// they are polled every few seconds.
	accessProbe
	// accessOff: the data path.
	accessOff
)

// dataPath marks a route that runs functions for their callers: it is not
// access-logged.
func dataPath() routeOpt { return func(rt *route) { rt.access = accessOff } }

// probe marks a route that monitors poll: logged at debug level.
func probe() routeOpt { return func(rt *route) { rt.access = accessProbe } }

// accessLogged wraps next, the rest of rt's chain, in the access log.
func (s *Server) accessLogged(rt route, next http.Handler) http.Handler {
	if rt.access == accessOff {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		aw := &accessWriter{ResponseWriter: w, id: r.Header.Get(HeaderAPIRequestID)}
		if !validRequestID(aw.id) {
			aw.id = lambda.NewRequestID()
		}
		w.Header().Set(HeaderAPIRequestID, aw.id)
		r = r.WithContext(context.WithValue(r.Context(), accessContextKey{}, aw))
		panicked := true
		defer func() { s.logAccess(r, rt, aw, start, panicked) }()
		next.ServeHTTP(aw, r)
		panicked = false
	})
}

func (s *Server) logAccess(r *http.Request, rt route, aw *accessWriter, start time.Time, panicked bool) {
	status := aw.status
	switch {
	case status != 0:
	case panicked:
		status = http.StatusInternalServerError
	case r.Context().Err() != nil:
		status = statusClientClosed
	default:
		status = http.StatusOK
	}
	level := accessLevel(rt.access, status, aw.Header().Get(ErrorHeader), panicked)
	ctx := r.Context()
	if !s.Logger.Enabled(ctx, level) {
		return
	}
	path := r.URL.Path
	if len(path) > maxLoggedPath {
		path = path[:maxLoggedPath] + "..."
	}
	var keyID, keyName slog.Attr // none without a key: slog drops empty attributes
	if aw.key != nil {
		keyID, keyName = slog.String("key", aw.key.ID), slog.String("key_name", aw.key.Name)
	}
	s.Logger.LogAttrs(ctx, level, "request",
		slog.String("method", r.Method),
		slog.String("path", path),
		slog.String("route", rt.pattern),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		slog.Int64("bytes", aw.bytes),
		keyID, keyName,
		slog.String("remote", clientAddr(r)),
		slog.String("request_id", aw.id),
	)
}

// statusClientClosed is logged for a request whose client went away before
// anything was answered (nginx's convention).
const statusClientClosed = 499

// accessLevel is the level of a request's line: a 4xx is the client's
// business (refused keys are warned about by the authentication itself),
// as is a 501 (a feature this server was not given), a function that
// failed or timed out is the function's, and a 5xx without the platform's
// error code is a function's answer passed through (lambda invoke); only
// what the platform itself failed is an error.
func accessLevel(policy accessPolicy, status int, errorCode string, panicked bool) slog.Level {
	switch {
	case policy == accessProbe:
		return slog.LevelDebug
	case panicked:
		return slog.LevelError
	case status < 500 || errorCode == "" || errorCode == lambda.ENOTIMPLEMENTED:
		return slog.LevelInfo
	case errorCode == lambda.EFUNCTION || errorCode == lambda.EOUTOFMEMORY || errorCode == lambda.ETIMEOUT:
		return slog.LevelWarn
	}
	return slog.LevelError
}

// validRequestID reports whether a client's request ID may be kept: short,
// of characters that need no escaping in a header or a log line.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '+' || c == '/' || c == '=':
		default:
			return false
		}
	}
	return true
}

type accessContextKey struct{}

// accessOf returns the access record of the request ctx belongs to; nil
// outside the access log (the data path).
func accessOf(ctx context.Context) *accessWriter {
	aw, _ := ctx.Value(accessContextKey{}).(*accessWriter)
	return aw
}

// requestIDAttr is the request's ID as a log attribute, for the error logs
// of a request; an empty attribute, which slog drops, on the data path.
func requestIDAttr(ctx context.Context) slog.Attr {
	if aw := accessOf(ctx); aw != nil {
		return slog.String("request_id", aw.id)
	}
	return slog.Attr{}
}

// noteKey tells the access log which key the request authenticated with.
func noteKey(ctx context.Context, k *lambda.Key) {
	if aw := accessOf(ctx); aw != nil {
		aw.key = k
	}
}

// accessWriter records what a request answered. It is the request's one
// allocation of the access log, and its context value.
type accessWriter struct {
	http.ResponseWriter
	id     string
	key    *lambda.Key
	status int
	bytes  int64
}

func (w *accessWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 { // 1xx are not the answer
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *accessWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush keeps streams (deploy progress, followed logs) flowing through
// handlers that type-assert http.Flusher.
func (w *accessWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *accessWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
