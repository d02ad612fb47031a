package http

import (
	"context"
	"net/http"
	"time"

	"github.com/lambdahq/lambda"
)

// audit records a control-plane write after its handler answered: e says
// what was done (action, function, target), audit adds who, from where,
// when and with what result. The record is written even if the client
// went away, within a bound; a store failure is logged, never turned into
// the answer (already sent).
func (s *Server) audit(r *http.Request, key *lambda.Key, e *lambda.AuditEntry, status int, code string) {
	if e.Action == "" || s.Audit == nil {
		return
	}
	result := "ok"
	if status >= 400 {
		result = code
		if result == "" {
			result = http.StatusText(status)
		}
	}
	e.Time, e.KeyID, e.Addr, e.Result, e.Status = time.Now().UTC(), keyIDOf(key), clientAddr(r), result, status
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if err := s.Audit.RecordAudit(ctx, e); err != nil {
		s.Logger.Error("audit record failed", "action", e.Action, "key", e.KeyID, "function", e.Function, "target", e.Target, "err", err)
	}
}

// refusedEntry is the audit entry of a request of rt refused before its
// handler ran: it names the key the request meant to act on, as the
// handler would have, once the store finds it (the path may hold
// anything, even a secret pasted in place of an ID).
func (s *Server) refusedEntry(r *http.Request, rt route, function string) *lambda.AuditEntry {
	e := &lambda.AuditEntry{Action: rt.action, Function: function}
	if rt.action == "" || rt.key == "" {
		return e
	}
	if k, err := s.keyStore().FindKey(r.Context(), r.PathValue(rt.key)); err == nil {
		e.Target, e.TargetName = k.ID, k.Name
	}
	return e
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
	// target and targetName name what else the write acted on (a key),
	// which only the handler knows.
	target, targetName string
}

// auditFunction names the function a write acted on, for handlers whose
// route does not name it in its path.
func auditFunction(w http.ResponseWriter, function string) {
	if sw, ok := w.(*statusWriter); ok {
		sw.function = function
	}
}

// auditTarget names what a write acted on that is not a function, by ID
// and name ("" when not known, as for a key not found).
func auditTarget(w http.ResponseWriter, id, name string) {
	if sw, ok := w.(*statusWriter); ok {
		sw.target, sw.targetName = id, name
	}
}

// entry is the audit entry of the handler's write of action on function,
// with what the handler named.
func (w *statusWriter) entry(action, function string) *lambda.AuditEntry {
	if w.function != "" {
		function = w.function
	}
	return &lambda.AuditEntry{Action: action, Function: function, Target: w.target, TargetName: w.targetName}
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
