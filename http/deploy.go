package http

import (
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"sync"

	"github.com/lambdahq/lambda"
)

// handleDeploy reads a multipart upload (config, then code) and streams the
// deploy's progress as NDJSON. Errors found before the build starts are
// answered as plain JSON errors with their status; later ones arrive as an
// "error" event, since the 200 has been sent by then.
func (s *Server) handleDeploy(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := lambda.ValidateName(name); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	cfg, code, err := readDeployUpload(r)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	stream := &eventStream{w: w}
	fn, err := s.Functions.Deploy(r.Context(), lambda.DeployRequest{
		Name:     name,
		Config:   cfg,
		Code:     &limitedReader{r: code, left: lambda.DefaultMaxCodeSize},
		Progress: stream,
	})
	if err != nil {
		if !stream.started() {
			writeError(w, r, s.Logger, err)
			return
		}
		if lambda.ErrorCode(err) == lambda.EINTERNAL {
			s.Logger.Error("deploy failed", "function", name, "err", err)
		}
		stream.send(DeployEvent{Type: EventError, Error: &ErrorBody{Code: lambda.ErrorCode(err), Message: lambda.ErrorMessage(err)}})
		return
	}
	stream.send(DeployEvent{Type: EventDone, Function: s.detail(r.Context(), fn)})
}

// readDeployUpload returns the validated config and a reader positioned on
// the code part.
func readDeployUpload(r *http.Request) (lambda.Config, io.Reader, error) {
	var cfg lambda.Config
	mr, err := r.MultipartReader()
	if err != nil {
		return cfg, nil, lambda.Errorf(lambda.EINVALID, "deploy expects multipart/form-data with a \"config\" part and then a \"code\" part: %v", err)
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "config" {
		return cfg, nil, lambda.Errorf(lambda.EINVALID, "deploy upload must start with a \"config\" part")
	}
	var req DeployRequest
	dec := json.NewDecoder(io.LimitReader(part, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return cfg, nil, lambda.Errorf(lambda.EINVALID, "deploy config is not valid JSON: %v", err)
	}
	cfg = req.Config.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return cfg, nil, err
	}
	code, err := nextPart(mr, "code")
	if err != nil {
		return cfg, nil, err
	}
	return cfg, code, nil
}

func nextPart(mr *multipart.Reader, name string) (*multipart.Part, error) {
	part, err := mr.NextPart()
	if err != nil || part.FormName() != name {
		return nil, lambda.Errorf(lambda.EINVALID, "deploy upload has no %q part after \"config\"", name)
	}
	return part, nil
}

// limitedReader fails with ETOOLARGE once more than left bytes are read,
// so an oversized upload is refused with a message instead of truncated.
type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, lambda.Errorf(lambda.ETOOLARGE, "code upload is over the %d MB limit; exclude files with .lambdaignore", lambda.DefaultMaxCodeSize>>20)
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, lambda.Errorf(lambda.ETOOLARGE, "code upload is over the %d MB limit; exclude files with .lambdaignore", lambda.DefaultMaxCodeSize>>20)
	}
	return n, err
}

// eventStream implements lambda.Progress over an NDJSON response. The
// status line is sent with the first event.
type eventStream struct {
	mu   sync.Mutex
	w    http.ResponseWriter
	sent bool
}

func (s *eventStream) started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

func (s *eventStream) send(ev DeployEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.sent {
		s.w.Header().Set("Content-Type", "application/x-ndjson")
		s.w.Header().Set("X-Content-Type-Options", "nosniff")
		s.w.WriteHeader(http.StatusOK)
		s.sent = true
	}
	_ = json.NewEncoder(s.w).Encode(ev)
	if f, ok := s.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *eventStream) Step(n, total int, message string) {
	s.send(DeployEvent{Type: EventStep, Step: n, Total: total, Message: message})
}

func (s *eventStream) Log(text string) { s.send(DeployEvent{Type: EventLog, Message: text}) }
