package engine_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// resolvingBuilder resolves configs as the fake builder's BuildContext
// does, so the engine can tell an unchanged deploy before building. It
// counts the build contexts it makes.
type resolvingBuilder struct {
	*fakeBuilder
	builds *atomic.Int64
}

func (b resolvingBuilder) BuildContext(ctx context.Context, dir string, cfg lambda.Config, out io.Writer) (lambda.Config, io.ReadCloser, error) {
	b.builds.Add(1)
	return b.fakeBuilder.BuildContext(ctx, dir, cfg, out)
}

func (b resolvingBuilder) ResolveConfig(dir string, cfg lambda.Config) (lambda.Config, error) {
	cfg.Runtime, cfg.Protocol = lambda.RuntimeGo, lambda.ProtocolHTTP
	return cfg, nil
}

// newResolvingEnv is an env whose builder resolves configs and whose
// code sum is the SHA-256 of the uploaded bytes. It returns the count of
// build contexts made.
func newResolvingEnv(t *testing.T, setup func(*env)) (*env, *atomic.Int64) {
	builds := new(atomic.Int64)
	return newEnvWithSetup(t, drivertest.NewFake(), filepath.Join(t.TempDir(), "lambda.db"), func(e *env) {
		e.eng.Builder = resolvingBuilder{e.builder, builds}
		e.eng.Extract = func(r io.Reader, dest string) (string, error) {
			h := sha256.New()
			_, err := io.Copy(h, r)
			return hex.EncodeToString(h.Sum(nil)), err
		}
		if setup != nil {
			setup(e)
		}
	}), builds
}

func TestDeployUnchanged(t *testing.T) {
	e, builds := newResolvingEnv(t, nil)
	ctx := context.Background()
	deploy := func(code string, cfg lambda.Config, mod func(*lambda.DeployRequest)) *lambda.Deployment {
		t.Helper()
		req := lambda.DeployRequest{Name: "greet", Config: cfg, Code: strings.NewReader(code), Progress: &progress{}}
		if mod != nil {
			mod(&req)
		}
		d, err := e.eng.Deploy(ctx, req)
		if err != nil {
			t.Fatalf("deploy: %v", err)
		}
		return d
	}
	env := func(v string) lambda.Config { return lambda.Config{Env: map[string]string{"K": v}} }
	if d := deploy("v1", env("a"), nil); !d.Changed || d.ActiveVersion != 1 {
		t.Fatalf("first deploy: changed %v, version %d", d.Changed, d.ActiveVersion)
	}

	// Each step deploys over the state the previous ones left.
	tests := []struct {
		name        string
		code        string
		cfg         lambda.Config
		mod         func(*lambda.DeployRequest)
		setup       func()
		wantChanged bool
		wantActive  int
	}{
		{"same code and config", "v1", env("a"), nil, nil, false, 1},
		{"defaults spelled out", "v1", lambda.Config{Runtime: lambda.RuntimeGo, Port: lambda.DefaultPort, Env: env("a").Env}, nil, nil, false, 1},
		{"scaling only", "v1", env("a"), func(r *lambda.DeployRequest) { r.Scaling.MinInstances = ptr(2) }, nil, false, 1},
		{"other env", "v1", env("b"), nil, nil, true, 2},
		{"other code", "v2", env("b"), nil, nil, true, 3},
		{"force", "v2", env("b"), func(r *lambda.DeployRequest) { r.Force = true }, nil, true, 4},
		{"other memory", "v2", lambda.Config{Env: env("b").Env, MemoryBytes: 128 << 20}, nil, nil, true, 5},
		{"active image gone", "v2", lambda.Config{Env: env("b").Env, MemoryBytes: 128 << 20}, nil, func() {
			// As after a `docker rmi` by hand: a redeploy repairs the function.
			for _, in := range e.running(t, "greet") {
				if err := e.driver.StopInstance(ctx, in.ID, 0); err != nil {
					t.Fatal(err)
				}
			}
			eventually(t, "instances gone", func() bool { return len(e.running(t, "greet")) == 0 })
			if err := e.driver.RemoveImage(ctx, "func-greet:v5"); err != nil {
				t.Fatal(err)
			}
		}, true, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			before := builds.Load()
			d := deploy(tt.code, tt.cfg, tt.mod)
			if d.Changed != tt.wantChanged || d.ActiveVersion != tt.wantActive || d.Active.Number != tt.wantActive {
				t.Fatalf("changed %v, active %d, want changed %v, active %d", d.Changed, d.ActiveVersion, tt.wantChanged, tt.wantActive)
			}
			if built := builds.Load() > before; built != tt.wantChanged {
				t.Errorf("an image was built: %v, want %v", built, tt.wantChanged)
			}
			next, err := e.store.NextVersion(ctx, "greet")
			if err != nil || next != tt.wantActive+1 {
				t.Errorf("next version %d (%v), want %d: a version was recorded", next, err, tt.wantActive+1)
			}
			if lease, status := e.call(t, "greet"); status != 200 || lease.Version != tt.wantActive {
				t.Errorf("version %d serves (status %d), want %d", lease.Version, status, tt.wantActive)
			}
		})
	}
	fn, err := e.store.FindFunction(ctx, "greet")
	if err != nil || fn.Scaling.MinInstances != 2 {
		t.Errorf("scaling of an unchanged deploy not applied: %+v %v", fn, err)
	}
}

func TestDeployImageUnchanged(t *testing.T) {
	e, _ := newResolvingEnv(t, func(e *env) { e.eng.Images = e.driver })
	ctx := context.Background()
	for _, ref := range []string{"app:1", "app:2"} {
		// Two images with different contents, so different IDs.
		if _, err := e.driver.BuildImage(ctx, lambda.BuildRequest{Context: imageContext(t, ref), Tags: []string{ref}}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		image       string
		port        int
		force       bool
		wantChanged bool
		wantActive  int
	}{
		{"app:1", 0, false, true, 1},
		{"app:1", 0, false, false, 1},
		{"app:2", 0, false, true, 2},
		{"app:2", 9000, false, true, 3},
		{"app:2", 9000, false, false, 3},
		{"app:2", 9000, true, true, 4},
	}
	for _, tt := range tests {
		d, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: "web", Image: tt.image, Config: lambda.Config{Port: tt.port}, Force: tt.force})
		if err != nil {
			t.Fatalf("deploy %s port %d: %v", tt.image, tt.port, err)
		}
		if d.Changed != tt.wantChanged || d.ActiveVersion != tt.wantActive {
			t.Errorf("deploy %s port %d force %v: changed %v, active %d; want %v, %d", tt.image, tt.port, tt.force, d.Changed, d.ActiveVersion, tt.wantChanged, tt.wantActive)
		}
	}
}

// imageContext is a build context whose image differs with content.
func imageContext(t *testing.T, content string) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range map[string]string{"Dockerfile": "FROM scratch\nCOPY app /app\n", "app": content} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}
