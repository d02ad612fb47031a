package http

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/lambdahq/lambda"
)

// LogList is the body of GET /v1/functions/{name}/logs without follow.
type LogList struct {
	Lines []lambda.LogLine `json:"lines"`
}

// ContentTypeNDJSON is the type of a followed log: one LogLine per line.
const ContentTypeNDJSON = "application/x-ndjson"

// logFilter reads the query of a logs request: since and until (each a
// duration back or an RFC 3339 time), tail, invocation, version and
// instance.
func logFilter(r *http.Request, name string, now time.Time) (lambda.LogFilter, bool, error) {
	f := lambda.LogFilter{Function: name}
	if err := lambda.ValidateName(name); err != nil {
		return f, false, err
	}
	q := r.URL.Query()
	if v := q.Get("since"); v != "" {
		t, err := pastTime(v, now)
		if err != nil {
			return f, false, lambda.Errorf(lambda.EINVALID, "since %q is invalid: %s", v, err)
		}
		f.Since = t
	}
	if v := q.Get("until"); v != "" {
		t, err := pastTime(v, now)
		if err != nil {
			return f, false, lambda.Errorf(lambda.EINVALID, "until %q is invalid: %s", v, err)
		}
		f.Until = t
	}
	if v := q.Get("tail"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, false, lambda.Errorf(lambda.EINVALID, "tail %q is invalid: use a number of lines, 0 or more", v)
		}
		f.Tail = n
	}
	if v := q.Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, false, lambda.Errorf(lambda.EINVALID, "version %q is invalid: use a version number (lambda versions %s lists them)", v, name)
		}
		f.Version = n
	}
	f.Invocation, f.Instance = q.Get("invocation"), q.Get("instance")
	if len(f.Invocation) > 128 || len(f.Instance) > 128 {
		return f, false, lambda.Errorf(lambda.EINVALID, "invocation and instance IDs are at most 128 characters")
	}
	follow := false
	if v := q.Get("follow"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, false, lambda.Errorf(lambda.EINVALID, "follow %q is invalid: use 1 or 0", v)
		}
		follow = b
	}
	// Windows no line can match are the caller's mistake, not an empty
	// answer: a read that never finds anything, or a follow that never
	// ends (new lines are never before a time already past).
	switch {
	case !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since):
		return f, false, lambda.Errorf(lambda.EINVALID, "until %q is not after since %q: no line can match; until ends the window, since opens it", q.Get("until"), q.Get("since"))
	case follow && !f.Until.IsZero():
		return f, false, lambda.Errorf(lambda.EINVALID, "follow streams new lines, which are never before until %q: leave out until to follow, or follow to read the lines before it", q.Get("until"))
	}
	return f, follow, nil
}

// handleLogs answers GET /v1/functions/{name}/logs: the stored lines as
// JSON, or with follow=1 the stored lines then the new ones as NDJSON
// until the client goes away or the server stops.
func (s *Server) handleLogs(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f, follow, err := logFilter(r, name, time.Now())
	if err == nil && s.Logs == nil {
		err = lambda.Errorf(lambda.ENOTIMPLEMENTED, "logs are not kept by this server")
	}
	if err == nil {
		_, err = s.findFunction(r.Context(), name)
	}
	if err != nil {
		s.writeFunctionError(w, r, err)
		return
	}
	if follow {
		s.followLogs(w, r, f)
		return
	}
	lines, err := s.Logs.Query(r.Context(), f)
	if err == nil && len(lines) == 0 && f.Invocation != "" {
		err = lambda.Errorf(lambda.ENOTFOUND, "no log lines of %s for invocation %q (or they are past the log retention): check the ID with lambda invocations %s", name, f.Invocation, name)
	}
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if lines == nil {
		lines = []lambda.LogLine{}
	}
	// Up to 4 MB: a client that does not read it may hold this goroutine
	// (and the server's shutdown) for the write timeout, no longer.
	defer writeDeadline(w, s.WriteTimeout, s.WriteTimeout > 0)()
	respondJSON(w, http.StatusOK, LogList{Lines: lines})
}

// followLogs streams lines as NDJSON, flushing whenever no line is
// waiting, so that a printed line reaches the client at once. Each line
// must reach the client within streamWriteTimeout, and the server's stop
// ends the stream even in the middle of a blocked write.
func (s *Server) followLogs(w http.ResponseWriter, r *http.Request, f lambda.LogFilter) {
	ch, err := s.Logs.Follow(r.Context(), f)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	sw := s.streams.open(w)
	defer sw.end()
	if !sw.next() {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.EUNAVAILABLE, "the server is stopping: follow again once it is back"))
		return
	}
	w.Header().Set("Content-Type", ContentTypeNDJSON)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_ = sw.rc.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	stop := s.streams.closed()
	for {
		select {
		case l, ok := <-ch:
			for more := true; more; {
				if !ok || !sw.next() {
					return
				}
				if err := enc.Encode(&l); err != nil {
					return // the client went away or was cut; r's context ends the follow
				}
				select {
				case l, ok = <-ch:
				default:
					more = false
				}
			}
			if err := sw.rc.Flush(); err != nil {
				return
			}
		case <-stop:
			return
		case <-r.Context().Done():
			return
		}
	}
}
