package engine_test

import (
	"archive/tar"
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// newImageEnv is an engine that deploys prebuilt images, with one user
// image "user/app:1" on the fake host.
func newImageEnv(t *testing.T) *env {
	t.Helper()
	e := newEnvWithSetup(t, drivertest.NewFake(), filepath.Join(t.TempDir(), "lambda.db"), func(e *env) {
		e.eng.Images = e.driver
	})
	var ctx bytes.Buffer
	tw := tar.NewWriter(&ctx)
	df := "FROM scratch\nCOPY app /app\n"
	for name, body := range map[string]string{"Dockerfile": df, "app": "binary"} {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))})
		_, _ = tw.Write([]byte(body))
	}
	tw.Close()
	if _, err := e.driver.BuildImage(context.Background(), lambda.BuildRequest{Context: &ctx, Tags: []string{"user/app:1"}}); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestDeployImage(t *testing.T) {
	e := newImageEnv(t)
	p := &progress{}
	_, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{Name: "prebuilt", Image: "user/app:1", Progress: p})
	if err != nil {
		t.Fatal(err)
	}
	fn, err := e.store.FindFunction(context.Background(), "prebuilt")
	if err != nil {
		t.Fatal(err)
	}
	if fn.ActiveVersion != 1 || fn.Active.Image != "func-prebuilt:v1" || fn.Active.Config.Runtime != lambda.RuntimeImage || fn.Active.Config.Protocol != lambda.ProtocolHTTP {
		t.Errorf("deployed %+v / %+v", fn, fn.Active)
	}
	if len(p.steps) != 2 || p.steps[0] != `Resolving image "user/app:1"` || p.steps[1] != "Starting container" {
		t.Errorf("steps %q", p.steps)
	}
	// The version's image is the platform's own, FROM the user's image,
	// which stays as it was.
	img, ok := e.driver.Image("func-prebuilt:v1")
	if !ok || img.Labels[lambda.LabelFunction] != "prebuilt" || img.Labels[lambda.LabelVersion] != "1" {
		t.Errorf("version image %+v", img)
	}
	user, ok := e.driver.Image("user/app:1")
	if !ok || user.ID == img.ID || user.Labels[lambda.LabelFunction] != "" {
		t.Errorf("user image %+v changed", user)
	}
	if lease, status := e.call(t, "prebuilt"); status != 200 || lease.Version != 1 {
		t.Errorf("the deployed image does not serve: %d", status)
	}
}

func TestDeployImageArchive(t *testing.T) {
	e := newImageEnv(t)
	archive, _ := drivertest.ImageArchive(t, drivertest.ArchiveImage{
		Tags: []string{"saved/app:2"}, Entrypoint: []string{"/server"}, Ports: []int{9000},
		Files: []drivertest.File{{Name: "server", Data: []byte("binary"), Mode: 0o755}},
	})
	p := &progress{}
	_, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{Name: "saved", ImageArchive: bytes.NewReader(archive), Progress: p})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.steps) != 2 || p.steps[0] != "Loading image archive" {
		t.Errorf("steps %q", p.steps)
	}
	if _, ok := e.driver.Image("saved/app:2"); !ok {
		t.Error("the archive's image was not loaded")
	}
	fn, err := e.store.FindFunction(context.Background(), "saved")
	if err != nil || fn.Active.Image != "func-saved:v1" {
		t.Fatalf("%+v %v", fn, err)
	}
}

// TestDeployImageFailures: every failure names its cause, registers
// nothing, and leaves the active version serving.
func TestDeployImageFailures(t *testing.T) {
	twoImages, _ := drivertest.ImageArchive(t,
		drivertest.ArchiveImage{Tags: []string{"one:1"}, Files: []drivertest.File{{Name: "a", Data: []byte("a")}}},
		drivertest.ArchiveImage{Tags: []string{"two:1"}, Files: []drivertest.File{{Name: "b", Data: []byte("b")}}},
	)
	reserved, _ := drivertest.ImageArchive(t, drivertest.ArchiveImage{Tags: []string{"func-other:v1"}, Files: []drivertest.File{{Name: "a", Data: []byte("a")}}})
	tests := []struct {
		name  string
		setup func(e *env)
		req   lambda.DeployRequest
		code  string
		want  string
	}{
		{"images not supported", func(e *env) { e.eng.Images = nil }, lambda.DeployRequest{Image: "user/app:1"}, lambda.ENOTIMPLEMENTED, "cannot deploy prebuilt images"},
		{"handler protocol", nil, lambda.DeployRequest{Image: "user/app:1", Config: lambda.Config{Protocol: lambda.ProtocolHandler}}, lambda.EINVALID, "http, aws or stdio"},
		{"missing image, no registry", nil, lambda.DeployRequest{Image: "nowhere/app:9"}, lambda.ENOTFOUND, `"nowhere/app:9" is not on the host and could not be pulled`},
		{"archive of two images", nil, lambda.DeployRequest{ImageArchive: bytes.NewReader(twoImages)}, lambda.EINVALID, "holds 2 images"},
		{"not an archive", nil, lambda.DeployRequest{ImageArchive: strings.NewReader("not a tar")}, lambda.EINVALID, ""},
		{"archive tagged as a function image", nil, lambda.DeployRequest{ImageArchive: bytes.NewReader(reserved)}, lambda.EINVALID, "reserved"},
		{"shim protocol the builder cannot wrap", nil, lambda.DeployRequest{Image: "user/app:1", Config: lambda.Config{Protocol: lambda.ProtocolStdio}}, lambda.ENOTIMPLEMENTED, "wrap"},
		{"docker down", func(e *env) { e.driver.SetDown(true) }, lambda.DeployRequest{Image: "user/app:1"}, lambda.EUNAVAILABLE, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newImageEnv(t)
			if _, err := e.eng.Deploy(context.Background(), lambda.DeployRequest{Name: "app", Image: "user/app:1"}); err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(e)
			}
			tt.req.Name = "app"
			_, err := e.eng.Deploy(context.Background(), tt.req)
			if lambda.ErrorCode(err) != tt.code || !strings.Contains(lambda.ErrorMessage(err), tt.want) {
				t.Fatalf("err %v, want code %s with %q", err, tt.code, tt.want)
			}
			e.driver.SetDown(false)
			fn, err := e.store.FindFunction(context.Background(), "app")
			if err != nil || fn.ActiveVersion != 1 {
				t.Fatalf("function after the failed deploy: %+v %v", fn, err)
			}
			versions, err := e.store.ListVersions(context.Background(), "app")
			if err != nil || len(versions) != 1 {
				t.Errorf("versions after the failed deploy: %d %v", len(versions), err)
			}
			if _, ok := e.driver.Image("func-app:v2"); ok {
				t.Error("the failed deploy left an image")
			}
			if lease, status := e.call(t, "app"); status != 200 || lease.Version != 1 {
				t.Errorf("version 1 does not serve: %d", status)
			}
		})
	}
}

// An image deploy's context is cancelled with its request: it stops and
// leaves nothing.
func TestDeployImageCancelled(t *testing.T) {
	e := newImageEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: "gone", Image: "user/app:1"})
	if err == nil {
		t.Fatal("a cancelled deploy succeeded")
	}
	if _, err := e.store.FindFunction(context.Background(), "gone"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("a cancelled deploy registered the function: %v", err)
	}
}

// TestDeployImageOfAnotherFunction: a key limited to some functions
// (DeployRequest.OnlyFunctions) cannot deploy the image the platform built
// for another function — it holds that function's code — but can deploy
// its own function's and any image the platform did not build.
func TestDeployImageOfAnotherFunction(t *testing.T) {
	e := newImageEnv(t)
	ctx := context.Background()
	for _, name := range []string{"secret", "mine"} {
		if _, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: name, Image: "user/app:1"}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, image string
		only        []string
		want        string // an error code; "" succeeds
	}{
		{"another function's image", "func-secret:v1", []string{"mine"}, lambda.EFORBIDDEN},
		{"its own function's image", "func-mine:v1", []string{"mine"}, ""},
		{"an image the platform did not build", "user/app:1", []string{"mine"}, ""},
		{"a key for every function", "func-secret:v1", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: "mine", Image: tt.image, OnlyFunctions: tt.only, Force: true})
			if got := lambda.ErrorCode(err); got != tt.want {
				t.Fatalf("deploy of %s: %v (code %q), want code %q", tt.image, err, got, tt.want)
			}
			if tt.want != "" && !strings.Contains(lambda.ErrorMessage(err), `function "secret"`) {
				t.Errorf("the error does not say whose image it is: %v", err)
			}
		})
	}
}
