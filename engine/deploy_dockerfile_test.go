package engine_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// TestDeployDockerfileOfAnotherFunctionsImage: a key limited to some
// functions cannot build a Dockerfile on the image the platform built for
// another function (FROM or COPY --from it): that image holds the other
// function's code, which deploy --image of it is refused for
// (TestDeployImageOfAnotherFunction). Found by the hostile pass: a
// function-scoped key deployed FROM lambda-base/python with COPY
// --from=func-OTHER:v1 / /victim/ and served the other's files.
func TestDeployDockerfileOfAnotherFunctionsImage(t *testing.T) {
	e := newImageEnv(t)
	ctx := context.Background()
	for _, name := range []string{"secret", "mine"} {
		if _, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: name, Image: "user/app:1"}); err != nil {
			t.Fatal(err)
		}
	}
	var dockerfile string
	e.eng.Extract = func(r io.Reader, dest string) (string, error) {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return "", err
		}
		return "sum" + dockerfile, os.WriteFile(filepath.Join(dest, "Dockerfile"), []byte(dockerfile), 0o644)
	}
	tests := []struct {
		name, dockerfile string
		only             []string
		want             string // an error code; "" succeeds
	}{
		{"FROM another function's image", "FROM func-secret:v1\n", []string{"mine"}, lambda.EFORBIDDEN},
		{"COPY --from another function's image", "FROM user/app:1\nCOPY --from=func-secret:v1 / /victim/\n", []string{"mine"}, lambda.EFORBIDDEN},
		{"through a meta arg", "ARG V=secret\nFROM func-${V}:v1\n", []string{"mine"}, lambda.EFORBIDDEN},
		{"its own function's image", "FROM func-mine:v1\n", []string{"mine"}, ""},
		{"an image the platform did not build", "FROM user/app:1\nCOPY --from=user/app:1 /app /app2\n", []string{"mine"}, ""},
		{"a key for every function", "FROM func-secret:v1\n", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dockerfile = tt.dockerfile
			_, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: "mine", Code: bytes.NewReader([]byte("code")), OnlyFunctions: tt.only, Progress: &progress{}})
			if got := lambda.ErrorCode(err); got != tt.want {
				t.Fatalf("deploy of %q: %v (code %q), want code %q", tt.dockerfile, err, got, tt.want)
			}
			if tt.want != "" && !strings.Contains(lambda.ErrorMessage(err), `function "secret"`) {
				t.Errorf("the error does not say whose image it is: %v", err)
			}
		})
	}
}

// triggerImages is the fake's images with ONBUILD triggers (which the fake
// does not record) for some references.
type triggerImages struct {
	*drivertest.Fake
	triggers map[string][]string
}

func (d triggerImages) InspectImage(ctx context.Context, ref string) (*lambda.Image, error) {
	img, err := d.Fake.InspectImage(ctx, ref)
	if err == nil {
		img.OnBuild = d.triggers[ref]
	}
	return img, err
}

// TestDeployImageWithOnBuildOfAnotherFunction: an image whose ONBUILD
// trigger copies from another function's platform-built image (loaded
// with deploy --image-archive, or already on the host) cannot be deployed
// with a key limited to some functions — the version's image is built
// FROM it, which runs the trigger (found by the hostile pass: deploy
// --image of an image with ONBUILD COPY --from=func-OTHER:v1 / /victim/
// served the other's files) — nor built on by such a key's Dockerfile.
func TestDeployImageWithOnBuildOfAnotherFunction(t *testing.T) {
	e := newImageEnv(t)
	ctx := context.Background()
	for _, name := range []string{"secret", "mine"} {
		if _, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: name, Image: "user/app:1"}); err != nil {
			t.Fatal(err)
		}
	}
	e.eng.Images = triggerImages{Fake: e.driver, triggers: map[string][]string{
		"user/app:1": {"COPY --from=func-secret:v1 / /victim/"},
	}}
	e.eng.Extract = func(r io.Reader, dest string) (string, error) {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return "", err
		}
		return "sum", os.WriteFile(filepath.Join(dest, "Dockerfile"), []byte("FROM user/app:1\n"), 0o644)
	}
	for _, req := range []lambda.DeployRequest{
		{Name: "mine", Image: "user/app:1", Force: true},
		{Name: "mine", Code: bytes.NewReader([]byte("code")), Progress: &progress{}},
	} {
		req.OnlyFunctions = []string{"mine"}
		_, err := e.eng.Deploy(ctx, req)
		if lambda.ErrorCode(err) != lambda.EFORBIDDEN || !strings.Contains(lambda.ErrorMessage(err), `function "secret"`) {
			t.Errorf("deploy (image %q) of an image whose trigger copies func-secret:v1: %v, want forbidden naming secret", req.Image, err)
		}
	}
	if _, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: "mine", Image: "user/app:1", Force: true}); err != nil {
		t.Errorf("a key for every function: %v", err)
	}
}

// TestDeployUntaggedImageByID: a key limited to some functions cannot
// deploy, nor build on, an untagged image named by its ID or a prefix of
// it (found by the hostile pass: the parent of func-OTHER:v1, a step of
// the other's build labelled with no function, deployed with --image and
// five hex digits of its ID, served the other's code and data; prefixes
// can be guessed); a tagged image by its ID and any image with a key for
// every function still can.
func TestDeployUntaggedImageByID(t *testing.T) {
	e := newImageEnv(t)
	ctx := context.Background()
	step := buildLeftover(t, e.driver, "", "0") // untagged, no function label
	tagged, _ := e.driver.Image("user/app:1")
	var dockerfile string
	e.eng.Extract = func(r io.Reader, dest string) (string, error) {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return "", err
		}
		return "sum" + dockerfile, os.WriteFile(filepath.Join(dest, "Dockerfile"), []byte(dockerfile), 0o644)
	}
	tests := []struct {
		name  string
		req   lambda.DeployRequest
		dfile string
		only  []string
		want  string
	}{
		{"untagged by ID prefix", lambda.DeployRequest{Image: strings.TrimPrefix(step, "sha256:")[:12]}, "", []string{"mine"}, lambda.EFORBIDDEN},
		{"untagged by ID", lambda.DeployRequest{Image: step}, "", []string{"mine"}, lambda.EFORBIDDEN},
		{"FROM untagged by ID", lambda.DeployRequest{}, "FROM " + step + "\n", []string{"mine"}, lambda.EFORBIDDEN},
		{"tagged by ID", lambda.DeployRequest{Image: tagged.ID}, "", []string{"mine"}, ""},
		{"untagged, a key for every function", lambda.DeployRequest{Image: step}, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			req.Name, req.OnlyFunctions, req.Force = "mine", tt.only, true
			if req.Image == "" {
				dockerfile, req.Code, req.Progress = tt.dfile, bytes.NewReader([]byte("code")), &progress{}
			}
			_, err := e.eng.Deploy(ctx, req)
			if got := lambda.ErrorCode(err); got != tt.want {
				t.Fatalf("deploy: %v (code %q), want code %q", err, got, tt.want)
			}
		})
	}
}
