package engine_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
	"github.com/lambdahq/lambda/engine"
)

// preinitDriver is the fake with the generic instances it started and
// ImageFiles failing while failFiles is set.
type preinitDriver struct {
	*drivertest.Fake
	mu        sync.Mutex
	specs     []lambda.PreinitSpec
	ids       []string
	failFiles atomic.Bool
}

func (d *preinitDriver) StartPreinit(ctx context.Context, ps lambda.PreinitSpec) (*lambda.Instance, error) {
	in, err := d.Fake.StartPreinit(ctx, ps)
	if err == nil {
		d.mu.Lock()
		d.specs, d.ids = append(d.specs, ps), append(d.ids, in.ID)
		d.mu.Unlock()
	}
	return in, err
}

func (d *preinitDriver) ImageFiles(ctx context.Context, image, dir string) (io.ReadCloser, error) {
	if d.failFiles.Load() {
		return nil, errors.New("docker is busy")
	}
	return d.Fake.ImageFiles(ctx, image, dir)
}

func (d *preinitDriver) started() ([]lambda.PreinitSpec, []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.specs), slices.Clone(d.ids)
}

// initServer stands in for the shims' init port: it records each init's
// environment and the names in its code, and answers status.
type initServer struct {
	mu     sync.Mutex
	envs   []map[string]string
	files  [][]string
	status atomic.Int32
}

func (s *initServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	env, files := map[string]string{}, []string{}
	for {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		switch part.FormName() {
		case "env":
			_ = json.NewDecoder(part).Decode(&env)
		case "code":
			tr := tar.NewReader(part)
			for h, err := tr.Next(); err == nil; h, err = tr.Next() {
				files = append(files, h.Name)
			}
		}
	}
	s.mu.Lock()
	s.envs, s.files = append(s.envs, env), append(s.files, files)
	s.mu.Unlock()
	w.WriteHeader(int(s.status.Load()))
}

func (s *initServer) inits() ([]map[string]string, [][]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.envs), slices.Clone(s.files)
}

// newPreinitEnv is an engine keeping size generic instances per runtime,
// their inits answered by the returned server.
func newPreinitEnv(t *testing.T, size int, setup func(*env)) (*env, *preinitDriver, *initServer) {
	t.Helper()
	d := &preinitDriver{Fake: drivertest.NewFake()}
	is := &initServer{}
	is.status.Store(http.StatusNoContent)
	srv := httptest.NewServer(is)
	t.Cleanup(srv.Close)
	e := newEnvWithSetup(t, d.Fake, filepath.Join(t.TempDir(), "lambda.db"), func(e *env) {
		e.eng.Driver, e.eng.Images = d, d
		e.eng.Preinit = engine.PreinitConfig{Size: size}
		e.eng.SetPreinitInitAddr(srv.Listener.Addr().String())
		if setup != nil {
			setup(e)
		}
	})
	return e, d, is
}

// buildImage builds a Dockerfile with the fake, tagged tag.
func buildImage(t *testing.T, d *drivertest.Fake, tag, dockerfile string) {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	_ = tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile))})
	_, _ = tw.Write([]byte(dockerfile))
	tw.Close()
	if _, err := d.BuildImage(context.Background(), lambda.BuildRequest{Context: &b, Tags: []string{tag}}); err != nil {
		t.Fatal(err)
	}
}

// pythonRuntime builds a runtime image tagged ref on the base image with
// ID base, and has the builder build handler functions on it.
func pythonRuntime(t *testing.T, e *env, ref, base string) {
	t.Helper()
	buildImage(t, e.driver, ref, "FROM scratch\nENV LAMBDA_TASK_ROOT=/var/task\n"+
		`LABEL lambda.role="runtime" lambda.image="`+ref+`" lambda.base-id="`+base+`"`+"\n")
	e.builder.mu.Lock()
	e.builder.dockerfile = "FROM " + ref + "\nCOPY app /var/task/app\n"
	e.builder.runtime, e.builder.protocol = lambda.RuntimePython, lambda.ProtocolHandler
	e.builder.mu.Unlock()
}

// coldStart stops name's instances and serves one request, which starts
// one; it returns the instance that served.
func (e *env) coldStart(t *testing.T, name string) string {
	t.Helper()
	for _, in := range e.running(t, name) {
		if err := e.driver.Kill(in.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the engine to process the exit", func() bool { return !e.eng.Live(in.ID) })
	}
	lease, status := e.call(t, name)
	if status != http.StatusOK {
		t.Fatalf("cold start of %s: status %d", name, status)
	}
	return lease.Instance
}

func (e *env) preinitReady(t *testing.T, name string) int {
	t.Helper()
	n, err := e.eng.PreinitReady(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPreinitColdStartTakesAGenericInstance: once a runtime is used, a
// cold start of a function built on it is given a generic instance with
// the function's environment and code in one init, and the pool refills.
func TestPreinitColdStartTakesAGenericInstance(t *testing.T) {
	e, d, inits := newPreinitEnv(t, 1, nil)
	pythonRuntime(t, e, "lambda-runtime-python:t1", "base1")
	e.mustDeploy(t, "greet", lambda.Config{})
	eventually(t, "a generic instance and the code", func() bool { return e.preinitReady(t, "greet") == 1 })
	specs, ids := d.started()
	if len(specs) != 1 || specs[0].Image != "lambda-runtime-python:t1" || specs[0].Env["LAMBDA_PREINIT"] != "1" || specs[0].Entrypoint != nil {
		t.Fatalf("generic instances started: %+v, want one of the runtime image, LAMBDA_PREINIT=1, its own entrypoint", specs)
	}

	if served := e.coldStart(t, "greet"); served != ids[0] {
		t.Fatalf("the cold start was served by %s, want the generic instance %s", served, ids[0])
	}
	envs, files := inits.inits()
	if len(envs) != 1 || envs[0]["LAMBDA_FUNCTION_NAME"] != "greet" || !slices.Equal(files[0], []string{"image"}) {
		t.Fatalf("inits %v with code %v, want one with greet's environment and its image's files", envs, files)
	}
	if got := e.running(t, "greet"); len(got) != 1 || got[0].ID != ids[0] {
		t.Errorf("greet's instances %v, want the generic one, listed as greet's", got)
	}
	eventually(t, "the pool to refill", func() bool { return e.preinitReady(t, "greet") == 1 })
	if _, ids := d.started(); len(ids) != 2 {
		t.Errorf("%d generic instances started, want 2 (one given away, one to replace it)", len(ids))
	}
}

// TestPreinitFailedInitStartsTheRegularWay: a generic instance whose init
// fails is stopped, never given back to the pool, and the request is
// served by a container of the function's own image.
func TestPreinitFailedInitStartsTheRegularWay(t *testing.T) {
	e, d, inits := newPreinitEnv(t, 1, nil)
	pythonRuntime(t, e, "lambda-runtime-python:t1", "base1")
	e.mustDeploy(t, "greet", lambda.Config{})
	eventually(t, "a generic instance and the code", func() bool { return e.preinitReady(t, "greet") == 1 })
	_, ids := d.started()
	inits.status.Store(http.StatusBadGateway)
	served := e.coldStart(t, "greet")
	if served == ids[0] {
		t.Fatal("the generic instance whose init failed served the request")
	}
	if envs, _ := inits.inits(); len(envs) != 1 {
		t.Fatalf("%d inits, want 1", len(envs))
	}
	list, err := e.driver.ListInstances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list {
		if in.ID == ids[0] && in.Running {
			t.Errorf("the generic instance whose init failed still runs")
		}
		if in.ID == served && in.Function != "greet" {
			t.Errorf("the instance that served is labelled %q, want a regular start of greet", in.Function)
		}
	}
}

// TestPreinitOtherBaseDoesNotFit: a function built on a runtime image of
// the same tag but another base image (the runtime image was rebuilt on a
// newer base) is not given the pool's generic instances.
func TestPreinitOtherBaseDoesNotFit(t *testing.T) {
	e, _, inits := newPreinitEnv(t, 1, nil)
	pythonRuntime(t, e, "lambda-runtime-python:t1", "base1")
	e.mustDeploy(t, "old", lambda.Config{})
	eventually(t, "a generic instance and the code", func() bool { return e.preinitReady(t, "old") == 1 })

	pythonRuntime(t, e, "lambda-runtime-python:t1", "base2")
	e.mustDeploy(t, "new", lambda.Config{})
	e.coldStart(t, "new")
	if n := e.preinitReady(t, "new"); n != 0 {
		t.Errorf("PreinitReady(new) = %d, want 0: its base differs from the pool's", n)
	}
	if envs, _ := inits.inits(); len(envs) != 0 {
		t.Errorf("%d inits, want none: the generic instance does not fit", len(envs))
	}
	if n := e.preinitReady(t, "old"); n != 1 {
		t.Errorf("PreinitReady(old) = %d, want its generic instance still ready", n)
	}
}

// TestPreinitGoFunctionsBehindTheShim: a Go function on the shim base is
// given a generic instance of the shim base running the shim with the
// function's protocol and its binary from the task root, which the init
// brings (LAMBDA_PREINIT=exec); one pool per protocol.
func TestPreinitGoFunctionsBehindTheShim(t *testing.T) {
	e, d, inits := newPreinitEnv(t, 1, nil)
	buildImage(t, e.driver, "lambda-shim-base:t1", "FROM scratch\n"+`LABEL lambda.role="shim" lambda.image="lambda-shim-base:t1"`+"\n")
	for _, protocol := range []string{lambda.ProtocolStdio, lambda.ProtocolAWS} {
		e.builder.mu.Lock()
		e.builder.dockerfile = "FROM lambda-shim-base:t1\nENV PORT=8080\nEXPOSE 8080\n" +
			`ENTRYPOINT ["/lambda/shim","--protocol","` + protocol + `","--","/function"]` + "\nCOPY app /function\n"
		e.builder.runtime, e.builder.protocol = lambda.RuntimeGo, protocol
		e.builder.mu.Unlock()
		e.mustDeploy(t, protocol, lambda.Config{})
		eventually(t, "a generic instance and the code", func() bool { return e.preinitReady(t, protocol) == 1 })
	}
	specs, ids := d.started()
	if len(specs) != 2 {
		t.Fatalf("generic instances started: %+v, want one per protocol", specs)
	}
	for i, protocol := range []string{lambda.ProtocolStdio, lambda.ProtocolAWS} {
		want := []string{"/lambda/shim", "--protocol", protocol, "--", "/var/task/function"}
		if ps := specs[i]; ps.Image != "lambda-shim-base:t1" || !slices.Equal(ps.Entrypoint, want) || ps.Env["LAMBDA_PREINIT"] != "exec" || ps.Runtime != "go-"+protocol {
			t.Errorf("generic instance for %s: %+v, want the shim base running %v, LAMBDA_PREINIT=exec", protocol, ps, want)
		}
		if served := e.coldStart(t, protocol); served != ids[i] {
			t.Errorf("the cold start of the %s function was served by %s, want its generic instance %s", protocol, served, ids[i])
		}
	}
	if envs, _ := inits.inits(); len(envs) != 2 || envs[0]["LAMBDA_FUNCTION_NAME"] != "stdio" || envs[1]["LAMBDA_FUNCTION_NAME"] != "aws" {
		t.Errorf("inits %v, want the stdio function's then the aws function's", envs)
	}
}

// TestPreinitExportRetried: a function whose code could not be read out
// of its image starts the regular way, and its code is read again after a
// backoff, not never.
func TestPreinitExportRetried(t *testing.T) {
	clock := newFakeClock()
	e, d, inits := newPreinitEnv(t, 1, func(e *env) { e.eng.Clock = clock })
	pythonRuntime(t, e, "lambda-runtime-python:t1", "base1")
	d.failFiles.Store(true)
	e.mustDeploy(t, "greet", lambda.Config{})
	eventually(t, "a generic instance", func() bool { _, ids := d.started(); return len(ids) == 1 })
	d.failFiles.Store(false)
	e.coldStart(t, "greet") // within the backoff: not read again
	time.Sleep(50 * time.Millisecond)
	if n := e.preinitReady(t, "greet"); n != 0 {
		t.Fatalf("PreinitReady = %d within the backoff of a failed read, want 0", n)
	}
	clock.Advance(time.Minute)
	e.coldStart(t, "greet") // read again
	eventually(t, "the code read after the backoff", func() bool { return e.preinitReady(t, "greet") == 1 })
	e.coldStart(t, "greet")
	if envs, _ := inits.inits(); len(envs) != 1 {
		t.Errorf("%d inits, want 1: the start after the code was read takes the generic instance", len(envs))
	}
}

// TestPreinitOwnImageOnTheShimBaseDoesNotFit: a Dockerfile function (or a
// deployed image) built FROM the shim base, with the entrypoint a Go
// function has, holds more than /function (its own files, environment,
// working directory): only a Go function the platform built is given a
// generic instance, which would get the binary alone.
func TestPreinitOwnImageOnTheShimBaseDoesNotFit(t *testing.T) {
	for _, runtime := range []string{lambda.RuntimeDockerfile, lambda.RuntimeImage} {
		t.Run(runtime, func(t *testing.T) {
			e, _, inits := newPreinitEnv(t, 1, nil)
			buildImage(t, e.driver, "lambda-shim-base:t1", "FROM scratch\n"+`LABEL lambda.role="shim" lambda.image="lambda-shim-base:t1"`+"\n")
			e.builder.mu.Lock()
			e.builder.dockerfile = "FROM lambda-shim-base:t1\nCOPY app /data.txt\nENV EXTRA=yes\nCOPY app /function\n" +
				`ENTRYPOINT ["/lambda/shim","--protocol","stdio","--","/function"]` + "\n"
			e.builder.runtime, e.builder.protocol = runtime, lambda.ProtocolStdio
			e.builder.mu.Unlock()
			e.mustDeploy(t, "own", lambda.Config{})
			e.coldStart(t, "own")
			time.Sleep(50 * time.Millisecond)
			e.coldStart(t, "own")
			if n := e.preinitReady(t, "own"); n != 0 {
				t.Errorf("PreinitReady = %d, want 0: the image holds more than the binary a generic instance gets", n)
			}
			if envs, _ := inits.inits(); len(envs) != 0 {
				t.Errorf("%d inits, want none: the function's own files and environment would be left out", len(envs))
			}
		})
	}
}

// TestPreinitStartupEnvStartsTheRegularWay: a handler function whose
// environment sets what the interpreter reads once, at its start
// (PYTHONPATH, NODE_OPTIONS, TZ...), is not given a generic instance,
// whose interpreter started before the init brought that environment
// (found by the hostile pass: PYTHONPATH=/var/task/lib imported on a
// regular start, ModuleNotFoundError from a generic instance; likewise
// PYTHONHASHSEED and TZ). A Go function's binary starts after the init:
// its environment fits.
func TestPreinitStartupEnvStartsTheRegularWay(t *testing.T) {
	e, _, inits := newPreinitEnv(t, 1, nil)
	pythonRuntime(t, e, "lambda-runtime-python:t1", "base1")
	e.mustDeploy(t, "plain", lambda.Config{Env: map[string]string{"DB_URL": "x"}})
	eventually(t, "a generic instance and the code", func() bool { return e.preinitReady(t, "plain") == 1 })
	for _, name := range []string{"PYTHONPATH", "NODE_OPTIONS", "TZ", "LD_PRELOAD", "LOCPATH", "GCONV_PATH", "TZDIR"} {
		e.mustDeploy(t, "env", lambda.Config{Env: map[string]string{name: "/var/task/lib"}})
		e.coldStart(t, "env")
		for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if n := e.preinitReady(t, "env"); n != 0 {
				t.Fatalf("with %s set, PreinitReady = %d, want 0", name, n)
			}
		}
		e.coldStart(t, "env")
	}
	if envs, _ := inits.inits(); len(envs) != 0 {
		t.Errorf("%d inits, want none", len(envs))
	}
	if n := e.preinitReady(t, "plain"); n != 1 {
		t.Errorf("PreinitReady(plain) = %d, want 1: its environment fits", n)
	}
}

// TestPreinitGenericInstancesYieldTheCapacity: a generic instance holds a
// slot of the backend's capacity, and gives it up to a function's
// instance when the capacity is reached (a deploy was refused with
// ETHROTTLED before).
func TestPreinitGenericInstancesYieldTheCapacity(t *testing.T) {
	e, d, _ := newPreinitEnv(t, 1, func(e *env) { e.driver.SetCapacity(2) })
	pythonRuntime(t, e, "lambda-runtime-python:t1", "base1")
	e.mustDeploy(t, "greet", lambda.Config{})
	eventually(t, "a generic instance and the code", func() bool { return e.preinitReady(t, "greet") == 1 })
	if _, used := e.eng.Capacity(); used != 2 {
		t.Fatalf("%d slots used, want 2: greet's instance and the generic one", used)
	}
	_, ids := d.started()
	e.mustDeploy(t, "other", lambda.Config{})
	eventually(t, "the generic instance to stop", func() bool {
		list, err := e.driver.ListInstances(context.Background())
		return err == nil && !slices.ContainsFunc(list, func(in *lambda.Instance) bool { return in.ID == ids[0] && in.Running })
	})
	if _, used := e.eng.Capacity(); used != 2 {
		t.Errorf("%d slots used, want 2: greet's and other's instances", used)
	}
}
