package engine_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
	"github.com/lambdahq/lambda/engine"
	"github.com/lambdahq/lambda/sqlite"
)

// fakeBuilder returns a fixed build context; fail makes it fail like a
// compile error would.
type fakeBuilder struct {
	mu         sync.Mutex
	dockerfile string
	fail       error
	// runtime and protocol, when set, are the built function's (else a
	// Go http server's).
	runtime, protocol string
}

func (b *fakeBuilder) WrapContext(ctx context.Context, image *lambda.Image, cfg lambda.Config, out io.Writer) (io.ReadCloser, error) {
	return nil, lambda.Errorf(lambda.ENOTIMPLEMENTED, "fake builder does not wrap images")
}

func (b *fakeBuilder) BuildContext(ctx context.Context, dir string, cfg lambda.Config, out io.Writer) (lambda.Config, io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return cfg, nil, b.fail
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	df := b.dockerfile
	if df == "" {
		df = "FROM scratch\nCOPY app /app\n"
	}
	for name, body := range map[string]string{"Dockerfile": df, "app": "binary"} {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))})
		_, _ = tw.Write([]byte(body))
	}
	tw.Close()
	cfg.Runtime, cfg.Protocol = lambda.RuntimeGo, lambda.ProtocolHTTP
	if b.protocol != "" {
		cfg.Runtime, cfg.Protocol = b.runtime, b.protocol
	}
	return cfg, io.NopCloser(&buf), nil
}

type env struct {
	eng     *engine.Engine
	driver  *drivertest.Fake
	builder *fakeBuilder
	store   *sqlite.FunctionStore
	db      *sqlite.DB
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, drivertest.NewFake(), filepath.Join(t.TempDir(), "lambda.db"))
}

func newEnvWith(t *testing.T, driver *drivertest.Fake, path string) *env {
	t.Helper()
	return newEnvWithSetup(t, driver, path, func(*env) {})
}

// newEnvWithSetup lets setup adjust the engine before it opens.
func newEnvWithSetup(t *testing.T, driver *drivertest.Fake, path string, setup func(*env)) *env {
	t.Helper()
	db := sqlite.NewDB(path)
	if err := db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	e := &env{driver: driver, builder: &fakeBuilder{}, store: sqlite.NewFunctionStore(db), db: db}
	e.eng = engine.New(e.store, driver, e.builder, func(r io.Reader, dest string) (string, error) {
		_, err := io.Copy(io.Discard, r)
		return "c0de", err
	})
	e.eng.ReconcileInterval = 10 * time.Millisecond
	e.eng.StopGrace = 0
	setup(e)
	if err := e.eng.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.eng.Close(context.Background()) })
	return e
}

type progress struct {
	mu    sync.Mutex
	steps []string
	logs  bytes.Buffer
}

func (p *progress) Step(n, total int, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.steps = append(p.steps, msg)
}

func (p *progress) Log(text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.logs.WriteString(text)
}

func (e *env) deploy(t *testing.T, name string, cfg lambda.Config) (*lambda.Function, error) {
	t.Helper()
	d, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{Name: name, Config: cfg, Code: bytes.NewReader([]byte("code")), Progress: &progress{}})
	if err != nil {
		return nil, err
	}
	return d.Function, nil
}

func (e *env) mustDeploy(t *testing.T, name string, cfg lambda.Config) *lambda.Function {
	t.Helper()
	fn, err := e.deploy(t, name, cfg)
	if err != nil {
		t.Fatalf("deploy %s: %v", name, err)
	}
	return fn
}

// call acquires name, sends one request and releases the lease.
func (e *env) call(t *testing.T, name string) (*lambda.Lease, int) {
	t.Helper()
	lease, err := e.eng.Acquire(context.Background(), name)
	if err != nil {
		t.Fatalf("acquire %s: %v", name, err)
	}
	defer lease.Release(false)
	resp, err := http.Get("http://" + lease.Addr + "/")
	if err != nil {
		t.Fatalf("request to %s: %v", lease.Addr, err)
	}
	resp.Body.Close()
	return lease, resp.StatusCode
}

func (e *env) running(t *testing.T, name string) []*lambda.Instance {
	t.Helper()
	all, err := e.eng.Instances(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	var out []*lambda.Instance
	for _, in := range all {
		if in.Running {
			out = append(out, in)
		}
	}
	return out
}

// eventuallyBound bounds eventually's wait. Generous, since it only
// delays a failure: under -race on a loaded 2-core machine reading a
// function's 40 MB of code took 16 s (TestPreinitLimitHoldsTheCode failed
// at 5 s at load 16).
const eventuallyBound = time.Minute

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(eventuallyBound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, eventuallyBound)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
