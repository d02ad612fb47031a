package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// Upload limits of the deploy endpoint.
const (
	// MaxImageArchiveBytes bounds an uploaded `docker save` archive.
	MaxImageArchiveBytes int64 = 2 << 30
)

// imageArchiveLimit is MaxImageArchiveBytes; tests lower it.
var imageArchiveLimit = MaxImageArchiveBytes

// Multipart part names of a deploy upload.
const (
	PartConfig       = "config"
	PartCode         = "code"
	PartImageArchive = "image-archive"
)

// handleDeploy reads a multipart upload (config, then the code or an image
// archive, or nothing when the config names an image) and streams the
// deploy's progress as NDJSON. Errors found before the deploy starts are
// answered as plain JSON errors with their status; later ones arrive as an
// "error" event, since the 200 has been sent by then.
func (s *Server) handleDeploy(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := lambda.ValidateName(name); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	req, err := s.readDeployUpload(r, name)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if req.Git != nil {
		s.handleDeployGit(w, r, name, req)
		return
	}
	// An HTTP/1 server may not read the request body once the response
	// has started, so events wait until the upload has been read.
	stream := &eventStream{w: w, open: req.Code == nil && req.ImageArchive == nil}
	for _, src := range []io.Reader{req.Code, req.ImageArchive} {
		if l, ok := src.(*limitedReader); ok {
			l.done = stream.uploaded
		}
	}
	req.Name, req.Progress = name, stream
	d, err := s.Functions.Deploy(r.Context(), req)
	if stream.pending() && err == nil {
		stream.release()
	}
	if err != nil {
		if r.Context().Err() != nil {
			// The client disconnected (or gave up) and the deploy stopped
			// with it: nobody to answer, and no platform failure to report.
			s.Logger.Info("deploy abandoned: client went away", "function", name, "err", err)
			return
		}
		if !stream.started() {
			writeError(w, r, s.Logger, err)
			return
		}
		if lambda.ErrorCode(err) == lambda.EINTERNAL {
			s.Logger.Error("deploy failed", "function", name, requestIDAttr(r.Context()), "err", err)
		}
		stream.send(DeployEvent{Type: EventError, Error: &ErrorBody{Code: lambda.ErrorCode(err), Message: lambda.ErrorMessage(err)}})
		return
	}
	for _, a := range d.Schedules {
		if !a.Existed {
			s.SchedulesChanged()
			break
		}
	}
	stream.send(DeployEvent{Type: EventDone, Function: s.detail(r.Context(), d.Function), Changed: &d.Changed, Schedules: d.Schedules})
}

// readDeployUpload checks the config part and returns a request whose
// source is the part that follows it (code or image archive, size-limited)
// or the image the config names. The config keeps its zero fields: the
// deploy fills in defaults, which may depend on the source (an image's
// exposed port).
func (s *Server) readDeployUpload(r *http.Request, name string) (lambda.DeployRequest, error) {
	var out lambda.DeployRequest
	mr, err := r.MultipartReader()
	if err != nil {
		return out, lambda.Errorf(lambda.EINVALID, "deploy expects multipart/form-data with a %q part and then a %q or %q part: %v", PartConfig, PartCode, PartImageArchive, err)
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != PartConfig {
		return out, lambda.Errorf(lambda.EINVALID, "deploy upload must start with a %q part", PartConfig)
	}
	// Read whole, one byte past the limit: a config cut at the limit would
	// be reported as broken JSON rather than as too large.
	config, err := io.ReadAll(io.LimitReader(part, maxJSONBody+1))
	if err != nil {
		return out, lambda.Errorf(lambda.EINVALID, "deploy upload is not valid multipart data: %v", err)
	}
	if len(config) > maxJSONBody {
		return out, lambda.Errorf(lambda.ETOOLARGE, "deploy config is over the %d MB limit: keep large settings in the function's files", maxJSONBody>>20)
	}
	if c := bytes.TrimSpace(config); len(c) == 0 || c[0] != '{' {
		return out, lambda.Errorf(lambda.EINVALID, "deploy config must be a JSON object, got %.20q", c)
	}
	var req DeployRequest
	if err := decodeConfig(config, &req, "deploy config"); err != nil {
		return out, err
	}
	if err := req.Config.WithDefaults().Validate(); err != nil {
		return out, err
	}
	if err := req.Scaling.Apply(lambda.Scaling{}).Validate(); err != nil {
		return out, err
	}
	if err := authorizeDestinations(r.Context(), name, req.Scaling); err != nil {
		return out, err
	}
	out.Schedules = scheduleSpecs(name, req.Schedules)
	if err := s.schedules().Check(name, out.Schedules); err != nil {
		return out, err
	}
	if req.Image != "" && (len(req.Image) > 512 || strings.ContainsAny(req.Image, " \t\r\n")) {
		return out, lambda.Errorf(lambda.EINVALID, "image reference %.40q is invalid: use a name like nginx:1.27 or an image ID", req.Image)
	}
	if req.Canary != req.Canary || req.Canary < 0 || req.Canary > 1 {
		return out, lambda.Errorf(lambda.EINVALID, "canary weight %v is outside 0-1: give the new version's share of traffic, e.g. 0.1 for 10%%", req.Canary)
	}
	out.Config, out.Scaling, out.Image, out.Force, out.Canary = req.Config, req.Scaling, req.Image, req.Force, req.Canary
	if k := keyFrom(r.Context()); k != nil {
		out.OnlyFunctions = k.Functions
	}
	if out.Git, err = gitSource(req); err != nil {
		return out, err
	}

	part, err = mr.NextPart()
	switch {
	case errors.Is(err, io.EOF) && (req.Image != "" || req.Git != nil):
		return out, nil
	case err == nil && req.Git != nil:
		return out, lambda.Errorf(lambda.EINVALID, "deploy upload names a git repository and also sends a %q part: send exactly one source", part.FormName())
	case errors.Is(err, io.EOF):
		return out, lambda.Errorf(lambda.EINVALID, "deploy upload has nothing to deploy: send a %q or %q part after %q, or name an image in the config", PartCode, PartImageArchive, PartConfig)
	case err != nil:
		return out, lambda.Errorf(lambda.EINVALID, "deploy upload is not valid multipart data: %v", err)
	case req.Image != "":
		return out, lambda.Errorf(lambda.EINVALID, "deploy upload names image %q and also sends a %q part: send exactly one source", req.Image, part.FormName())
	case part.FormName() == PartCode:
		out.Code = &limitedReader{r: part, left: lambda.DefaultMaxCodeSize,
			err: lambda.Errorf(lambda.ETOOLARGE, "code upload is over the %d MB limit; exclude files with .lambdaignore", lambda.DefaultMaxCodeSize>>20)}
	case part.FormName() == PartImageArchive:
		out.ImageArchive = &limitedReader{r: part, left: imageArchiveLimit,
			err: lambda.Errorf(lambda.ETOOLARGE, "image archive upload is over the %d GB limit; make the image smaller, or load it on the server's host with docker load and deploy it with --image", MaxImageArchiveBytes>>30)}
	default:
		return out, lambda.Errorf(lambda.EINVALID, "deploy upload has an unknown part %q after %q: send %q or %q", part.FormName(), PartConfig, PartCode, PartImageArchive)
	}
	return out, nil
}

// limitedReader fails with err (an ETOOLARGE) once more than left bytes
// are read, so an oversized upload is refused with a message instead of
// truncated.
type limitedReader struct {
	r    io.Reader
	left int64
	err  error
	done func() // called once the upload has been read to its end
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, l.err
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, l.err
	}
	if err == io.EOF && l.done != nil {
		l.done()
	}
	return n, err
}

// eventStream implements lambda.Progress over an NDJSON response. The
// status line is sent with the first event; until the stream is open
// (the upload has been read) events are held back.
type eventStream struct {
	mu   sync.Mutex
	w    http.ResponseWriter
	sent bool
	open bool
	// read is set once the upload has been read to its end: the next
	// event opens the stream. Not the end itself: the extraction reads
	// to it before it has judged the last entries, and a refused archive
	// must be answered with its 4xx, not a 200 and an error event.
	read bool
	held []DeployEvent
}

// uploaded records that the upload has been read to its end.
func (s *eventStream) uploaded() {
	s.mu.Lock()
	s.read = true
	s.mu.Unlock()
}

// release opens the stream and sends what was held back.
func (s *eventStream) release() {
	s.mu.Lock()
	held := s.held
	s.held, s.open = nil, true
	s.mu.Unlock()
	for _, ev := range held {
		s.send(ev)
	}
}

func (s *eventStream) pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.open
}

func (s *eventStream) started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

func (s *eventStream) send(ev DeployEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.open && !s.read {
		s.held = append(s.held, ev)
		return
	}
	if !s.open {
		held := s.held
		s.held, s.open = nil, true
		for _, h := range held {
			s.write(h)
		}
	}
	s.write(ev)
}

// write sends ev; s.mu is held.
func (s *eventStream) write(ev DeployEvent) {
	if !s.sent {
		s.w.Header().Set("Content-Type", "application/x-ndjson")
		s.w.Header().Set("X-Content-Type-Options", "nosniff")
		s.w.WriteHeader(http.StatusOK)
		s.sent = true
	}
	// A client that cannot take an event within streamWriteTimeout is cut
	// (its request's context ends the deploy), rather than holding the
	// deploy, and the server's shutdown, in a blocked write.
	rc := http.NewResponseController(s.w)
	_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	_ = json.NewEncoder(s.w).Encode(ev)
	_ = rc.Flush()
}

func (s *eventStream) Step(n, total int, message string) {
	s.send(DeployEvent{Type: EventStep, Step: n, Total: total, Message: message})
}

func (s *eventStream) Log(text string) { s.send(DeployEvent{Type: EventLog, Message: text}) }
