package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
	"github.com/lambdahq/lambda/manifest"
)

// fakeAPI mimics the server's control API over an in-memory state, so the
// commands are tested against real HTTP and real JSON.
type fakeAPI struct {
	mu        sync.Mutex
	functions map[string]*lambdahttp.FunctionDetail
	versions  map[string][]lambdahttp.VersionInfo
	schedules []*lambda.Schedule
	// scheduleCalls counts requests to the schedule API (create, list).
	scheduleCalls int
	// lastDeploy is the config part of the last deploy upload, lastSource
	// what followed it (code, image-archive, or image for none) and
	// lastArchive the image archive uploaded.
	lastDeploy lambdahttp.DeployRequest
	// lastEffective is lastDeploy with the uploaded lambda.yaml under it,
	// as the server applies it.
	lastEffective lambdahttp.DeployRequest
	lastSource    string
	lastArchive   []byte
	lastInvoke    string
	// lastInvokeRequest is the last invoke's request (headers, query).
	lastInvokeRequest *http.Request
	// lastRollback is the body of the last rollback.
	lastRollback lambdahttp.RollbackRequest
	// images is what GET /v1/images lists; nil answers not_implemented.
	images []*lambda.Image
	// jobs backs the invocation routes (fakeapi_invocations_test.go).
	jobs fakeJobs
}

func newFakeAPI(t *testing.T) (*fakeAPI, string) {
	t.Helper()
	f := &fakeAPI{functions: map[string]*lambdahttp.FunctionDetail{}, versions: map[string][]lambdahttp.VersionInfo{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/functions/{name}/deploy", f.deploy)
	mux.HandleFunc("GET /v1/functions", f.list)
	mux.HandleFunc("GET /v1/functions/{name}", f.get)
	mux.HandleFunc("DELETE /v1/functions/{name}", f.delete)
	mux.HandleFunc("GET /v1/functions/{name}/versions", f.listVersions)
	mux.HandleFunc("POST /v1/functions/{name}/rollback", f.rollback)
	mux.HandleFunc("PATCH /v1/functions/{name}/scaling", f.scaling)
	mux.HandleFunc("POST /v1/functions/{name}/invoke", f.invoke)
	mux.HandleFunc("GET /v1/images", f.listImages)
	mux.HandleFunc("POST /v1/schedules", f.createSchedule)
	mux.HandleFunc("GET /v1/schedules", f.listSchedules)
	mux.HandleFunc("DELETE /v1/schedules/{id}", f.deleteSchedule)
	f.jobs.register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// add registers a function with versions 1..n, n active.
func (f *fakeAPI) add(name string, n int, updated time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var vs []lambdahttp.VersionInfo
	for i := 1; i <= n; i++ {
		vs = append(vs, lambdahttp.VersionInfo{Version: lambda.Version{
			Function: name, Number: i, Image: fmt.Sprintf("func-%s:v%d", name, i),
			ImageID: fmt.Sprintf("sha256:%d0123456789abcdef", i), CodeSHA256: fmt.Sprintf("%d1234567890abcdef", i),
			Config:    lambda.Config{Runtime: "go", Protocol: "http", Port: 8080, MemoryBytes: 128 << 20, Timeout: lambda.Duration(10 * time.Second), Env: map[string]string{"B": "2", "A": "1"}},
			CreatedAt: updated,
		}, Active: i == n})
	}
	f.versions[name] = vs
	f.functions[name] = &lambdahttp.FunctionDetail{
		Name: name, URL: "http://" + name + ".localhost:8080", PathURL: "http://localhost:8080/fn/" + name,
		Status: "ready", Active: &vs[n-1].Version, CreatedAt: updated, UpdatedAt: updated,
		Scaling:   lambda.Scaling{}.Effective("http"),
		Instances: []*lambda.Instance{{ID: "0123456789abcdef0123", Function: name, Version: n, Addr: "127.0.0.1:32768", Running: true, CreatedAt: updated, State: "busy", Inflight: 2, Requests: 17}},
	}
}

func apiError(w http.ResponseWriter, status int, code, format string, args ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(lambdahttp.ErrorHeader, code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(lambdahttp.ErrorResponse{Error: lambdahttp.ErrorBody{Code: code, Message: fmt.Sprintf(format, args...)}})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeAPI) find(w http.ResponseWriter, r *http.Request) *lambdahttp.FunctionDetail {
	fn := f.functions[r.PathValue("name")]
	if fn == nil {
		apiError(w, 404, lambda.ENOTFOUND, "function %q not found", r.PathValue("name"))
	}
	return fn
}

func (f *fakeAPI) deploy(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	mr, err := r.MultipartReader()
	if err != nil {
		apiError(w, 400, lambda.EINVALID, "not multipart: %v", err)
		return
	}
	p, err := mr.NextPart()
	if err != nil || p.FormName() != "config" {
		apiError(w, 400, lambda.EINVALID, "part 0 must be %q", "config")
		return
	}
	var req lambdahttp.DeployRequest
	dec := json.NewDecoder(p)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apiError(w, 400, lambda.EINVALID, "config: %v", err)
		return
	}
	source := "image"
	var archive []byte
	effective := req
	switch p, err := mr.NextPart(); {
	case errors.Is(err, io.EOF) && req.Image != "":
	case errors.Is(err, io.EOF) && req.Git != nil:
		source = "git"
	case err != nil:
		apiError(w, 400, lambda.EINVALID, "no source part: %v", err)
		return
	case req.Image != "":
		apiError(w, 400, lambda.EINVALID, "image and a %q part", p.FormName())
		return
	case p.FormName() == "code":
		source = "code"
		body, _ := io.ReadAll(p)
		m, err := uploadedManifest(body)
		if err != nil {
			apiError(w, 400, lambda.EINVALID, "%v", err)
			return
		}
		// As the server: the tree's lambda.yaml under the request.
		eff := m.Under(lambda.DeployRequest{Name: name, Config: req.Config, Scaling: req.Scaling, Schedules: scheduleSpecs(name, req.Schedules)})
		effective = lambdahttp.DeployRequest{Config: eff.Config, Scaling: eff.Scaling, Force: req.Force}
		for _, s := range eff.Schedules {
			effective.Schedules = append(effective.Schedules, lambdahttp.ScheduleRequest{Function: name, Cron: s.Cron, Timezone: s.Timezone, Data: s.Data, Overlap: s.Overlap})
		}
	case p.FormName() == "image-archive":
		source = "image-archive"
		archive, _ = io.ReadAll(p)
	default:
		apiError(w, 400, lambda.EINVALID, "unknown part %q", p.FormName())
		return
	}
	f.mu.Lock()
	f.lastDeploy, f.lastEffective, f.lastSource, f.lastArchive = req, effective, source, archive
	f.mu.Unlock()
	if name == "toolarge" {
		apiError(w, 413, lambda.ETOOLARGE, "code archive is over the limit")
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	send := func(ev lambdahttp.DeployEvent) {
		_ = enc.Encode(ev)
		w.(http.Flusher).Flush()
	}
	fail := func(code, msg string) {
		send(lambdahttp.DeployEvent{Type: lambdahttp.EventError, Error: &lambdahttp.ErrorBody{Code: code, Message: msg}})
	}
	total := 3
	switch source {
	case "image":
		total = 2
		send(lambdahttp.DeployEvent{Type: lambdahttp.EventStep, Step: 1, Total: 2, Message: fmt.Sprintf("Resolving image %q", req.Image)})
		if req.Image == "missing:v1" {
			fail(lambda.ENOTFOUND, `image "missing:v1" is not on the host and could not be pulled: no registry answers`)
			return
		}
	case "image-archive":
		total = 2
		send(lambdahttp.DeployEvent{Type: lambdahttp.EventStep, Step: 1, Total: 2, Message: "Loading image archive"})
		if bytes.Contains(archive, []byte("CORRUPT")) {
			fail(lambda.EINVALID, "not a docker save archive: its manifest.json is invalid")
			return
		}
		send(lambdahttp.DeployEvent{Type: lambdahttp.EventLog, Message: "Loaded image: app:v1\n"})
	default:
		send(lambdahttp.DeployEvent{Type: lambdahttp.EventStep, Step: 1, Total: 3, Message: "Unpacking function code"})
		send(lambdahttp.DeployEvent{Type: lambdahttp.EventStep, Step: 2, Total: 3, Message: fmt.Sprintf("Building image %q", "func-"+name)})
		send(lambdahttp.DeployEvent{Type: lambdahttp.EventLog, Message: "Step 1/2 : FROM scratch\n"})
		send(lambdahttp.DeployEvent{Type: lambdahttp.EventLog, Message: "Step 2/2 : COPY app /app"})
		if name == "broken" {
			fail(lambda.EINVALID, "build failed: COPY failed: no such file app\nStep 1/2 : FROM scratch\nStep 2/2 : COPY app /app\n")
			return
		}
	}
	send(lambdahttp.DeployEvent{Type: lambdahttp.EventStep, Step: total, Total: total, Message: "Starting container"})
	f.mu.Lock()
	if f.functions[name] == nil {
		f.mu.Unlock()
		f.add(name, 1, time.Now())
		f.mu.Lock()
	}
	fn := *f.functions[name]
	f.mu.Unlock()
	// "same" and "same-canary" are always deployed with the code and
	// config they have: nothing changes unless forced. "same-canary" has
	// them in live's canary, version 2, which a canary deploy reweighs.
	changed := name != "same" && name != "same-canary" || req.Force
	if name == "same-canary" && !changed && req.Canary > 0 {
		fn.Aliases = []*lambda.Alias{{Function: name, Name: lambda.AliasLive, Version: 1, AdditionalVersion: 2, Weight: req.Canary}}
	}
	send(lambdahttp.DeployEvent{Type: lambdahttp.EventDone, Function: &fn, Changed: &changed, Schedules: f.applySchedules(name, effective.Schedules)})
}

// applySchedules applies a deploy's schedules as the server does once the
// function is live: an identical one is kept, the others are created.
func (f *fakeAPI) applySchedules(name string, reqs []lambdahttp.ScheduleRequest) []lambda.AppliedSchedule {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []lambda.AppliedSchedule
	for _, req := range reqs {
		want := f.newSchedule(lambdahttp.ScheduleRequest{Function: name, Cron: req.Cron, Timezone: req.Timezone, Data: req.Data, Overlap: req.Overlap})
		var found *lambda.Schedule
		for _, s := range f.schedules {
			if s.Duplicates(want) && s.Overlap == want.Overlap {
				found = s
			}
		}
		if found != nil {
			out = append(out, lambda.AppliedSchedule{Schedule: found, Existed: true})
			continue
		}
		f.schedules = append(f.schedules, want)
		out = append(out, lambda.AppliedSchedule{Schedule: want})
	}
	return out
}

func (f *fakeAPI) listImages(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.images == nil {
		apiError(w, 501, lambda.ENOTIMPLEMENTED, "this server cannot deploy prebuilt images")
		return
	}
	reply(w, 200, lambdahttp.ImageList{Images: f.images})
}

func (f *fakeAPI) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := lambdahttp.FunctionList{Functions: []lambdahttp.FunctionSummary{}}
	for _, name := range []string{"greet", "hello"} {
		if fn := f.functions[name]; fn != nil {
			out.Functions = append(out.Functions, lambdahttp.FunctionSummary{Name: name, Version: fn.Active.Number, Runtime: fn.Active.Config.Runtime, Status: fn.Status, URL: fn.URL, UpdatedAt: fn.UpdatedAt})
		}
	}
	reply(w, 200, out)
}

func (f *fakeAPI) get(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fn := f.find(w, r); fn != nil {
		reply(w, 200, fn)
	}
}

func (f *fakeAPI) delete(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fn := f.find(w, r); fn != nil {
		delete(f.functions, fn.Name)
		w.WriteHeader(204)
	}
}

func (f *fakeAPI) listVersions(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fn := f.find(w, r); fn != nil {
		reply(w, 200, lambdahttp.VersionList{Versions: f.versions[fn.Name]})
	}
}

func (f *fakeAPI) rollback(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn := f.find(w, r)
	if fn == nil {
		return
	}
	var req lambdahttp.RollbackRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		apiError(w, 400, lambda.EINVALID, "bad body: %v", err)
		return
	}
	f.lastRollback = req
	to := fn.Active.Number - 1
	if req.Version != nil {
		to = *req.Version
	}
	vs := f.versions[fn.Name]
	if to < 1 || to > len(vs) {
		apiError(w, 404, lambda.ENOTFOUND, "version %d of function %q not found", to, fn.Name)
		return
	}
	for i := range vs {
		vs[i].Active = vs[i].Number == to
	}
	fn.Active = &vs[to-1].Version
	reply(w, 200, fn)
}

func (f *fakeAPI) scaling(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn := f.find(w, r)
	if fn == nil {
		return
	}
	var p lambda.ScalingPatch
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		apiError(w, 400, lambda.EINVALID, "bad body: %v", err)
		return
	}
	sc := p.Apply(fn.Scaling)
	if err := sc.Validate(); err != nil {
		apiError(w, 400, lambda.EINVALID, "%s", lambda.ErrorMessage(err))
		return
	}
	fn.Scaling = sc.Effective(fn.Active.Config.Protocol)
	reply(w, 200, fn)
}

func (f *fakeAPI) invoke(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.lastInvoke, f.lastInvokeRequest = string(body), r
	f.mu.Unlock()
	switch r.PathValue("name") {
	case "greet":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-1")
		fakeInvokeHeaders(w, r)
		fmt.Fprintf(w, `{"echo":%s}`, body)
	case "newline":
		io.WriteString(w, "hello\n")
	case "fail":
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(500)
		io.WriteString(w, "something broke")
	case "slow":
		apiError(w, 504, lambda.ETIMEOUT, `function "slow" timed out after 30s`)
	default:
		apiError(w, 404, lambda.ENOTFOUND, "function %q not found", r.PathValue("name"))
	}
}

// newSchedule is the schedule req creates, numbered after the others;
// f.mu is held.
func (f *fakeAPI) newSchedule(req lambdahttp.ScheduleRequest) *lambda.Schedule {
	overlap := req.Overlap
	if overlap == "" {
		overlap = lambda.OverlapSkip
	}
	return &lambda.Schedule{
		ID: fmt.Sprintf("sch_%d", len(f.schedules)+1), Function: req.Function, Cron: req.Cron, Timezone: lambda.NormalizeTimezone(req.Timezone),
		Data: req.Data, Overlap: overlap, NextRunAt: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC),
	}
}

func (f *fakeAPI) createSchedule(w http.ResponseWriter, r *http.Request) {
	var req lambdahttp.ScheduleRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		apiError(w, 400, lambda.EINVALID, "bad body: %v", err)
		return
	}
	if strings.Count(req.Cron, " ") != 4 {
		apiError(w, 400, lambda.EINVALID, "cron expression %q is invalid: use 5 fields", req.Cron)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scheduleCalls++
	s := f.newSchedule(req)
	f.schedules = append(f.schedules, s)
	reply(w, 201, s)
}

func (f *fakeAPI) listSchedules(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scheduleCalls++
	out := lambdahttp.ScheduleList{Schedules: []*lambda.Schedule{}}
	for _, s := range f.schedules {
		if fn := r.URL.Query().Get("function"); fn == "" || fn == s.Function {
			out.Schedules = append(out.Schedules, s)
		}
	}
	reply(w, 200, out)
}

func (f *fakeAPI) deleteSchedule(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, s := range f.schedules {
		if s.ID == r.PathValue("id") {
			f.schedules = append(f.schedules[:i], f.schedules[i+1:]...)
			w.WriteHeader(204)
			return
		}
	}
	apiError(w, 404, lambda.ENOTFOUND, "schedule %q not found", r.PathValue("id"))
}

// runCLI runs the command line against server with stdin and returns what
// it printed and its exit code.
func runCLI(t *testing.T, server, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := &streams{In: strings.NewReader(stdin), Out: &out, Err: &errOut}
	if server != "" {
		args = append([]string{"--server", server}, args...)
	}
	code = run(context.Background(), args, s)
	return out.String(), errOut.String(), code
}

// uploadedManifest reads the lambda.yaml of a tar.gz upload, nil if none.
func uploadedManifest(code []byte) (*lambda.DeployManifest, error) {
	zr, err := gzip.NewReader(bytes.NewReader(code))
	if err != nil {
		return nil, fmt.Errorf("code is not gzip: %v", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("code is not a tar.gz: %v", err)
		}
		if path.Clean(h.Name) != manifest.FileName {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		m, err := manifest.Parse(data)
		if err != nil {
			return nil, err
		}
		return m.Deploy(), nil
	}
}

func scheduleSpecs(name string, reqs []lambdahttp.ScheduleRequest) []lambda.ScheduleSpec {
	var out []lambda.ScheduleSpec
	for _, r := range reqs {
		out = append(out, lambda.ScheduleSpec{Function: name, Cron: r.Cron, Timezone: r.Timezone, Data: r.Data, Overlap: r.Overlap})
	}
	return out
}
