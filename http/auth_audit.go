package http

import (
	"context"
	"net/http"
	"time"

	"github.com/lambdahq/lambda"
)

// audit records a control-plane write after its handler answered. The
// record is written even if the client went away, within a bound; a store
// failure is logged, never turned into the answer (already sent).
func (s *Server) audit(r *http.Request, key *lambda.Key, action, function string, status int, code string) {
	if action == "" || s.Audit == nil {
		return
	}
	result := "ok"
	if status >= 400 {
		result = code
		if result == "" {
			result = http.StatusText(status)
		}
	}
	e := &lambda.AuditEntry{Time: time.Now().UTC(), KeyID: keyIDOf(key), Addr: clientAddr(r), Action: action,
		Function: function, Result: result, Status: status}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if err := s.Audit.RecordAudit(ctx, e); err != nil {
		s.Logger.Error("audit record failed", "action", action, "key", e.KeyID, "function", function, "err", err)
	}
}

// statusWriter remembers the status a handler answered, for the audit.
// Unwrap lets http.ResponseController reach the connection (flushes of a
// streamed deploy, deadlines).
type statusWriter struct {
	http.ResponseWriter
	status int
	// function is the function the write acted on when only the handler
	// knows it (a schedule's, from the body or the store).
	function string
}

// auditFunction names the function a write acted on, for handlers whose
// route does not name it in its path.
func auditFunction(w http.ResponseWriter, function string) {
	if sw, ok := w.(*statusWriter); ok {
		sw.function = function
	}
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush keeps the deploy's progress stream, which type-asserts
// http.Flusher, flowing.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
