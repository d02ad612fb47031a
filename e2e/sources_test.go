package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildFixtureImage builds the fixture into a FROM scratch image with the
// docker CLI, standing in for an image a user built elsewhere.
func buildFixtureImage(t *testing.T, tag string) {
	t.Helper()
	if err := buildGoImage("testdata/fixture", tag); err != nil {
		t.Fatalf("build fixture: %v", err)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", tag).Run() })
}

// TestDeploySources deploys a prebuilt image, a docker save archive and a
// manifest-driven directory.
func TestDeploySources(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prebuilt, archived, manifested := s.fn("prebuilt"), s.fn("archived"), s.fn("manifested")
	tag := fmt.Sprintf("e2e-prebuilt:%d", time.Now().UnixNano())
	buildFixtureImage(t, tag)

	res := s.mustLambda("deploy", "--image", tag, "--name", prebuilt)
	if !strings.Contains(res.stdout, "http://"+prebuilt+".localhost") {
		t.Errorf("deploy --image said %q", res.stdout)
	}
	if e := decodeEcho(t, s.get(s.host(prebuilt), "/x?q=1")); e.Path != "/x" {
		t.Errorf("prebuilt: %+v", e)
	}
	if res := s.mustLambda("images"); !strings.Contains(res.stdout, tag) {
		t.Errorf("lambda images lacks %s:\n%s", tag, res.stdout)
	}
	if res := s.lambda("deploy", "--image", "e2e-missing:nope", "--name", prebuilt); res.code == 0 || !strings.Contains(res.stderr, "e2e-missing:nope") {
		t.Errorf("missing image: %+v", res)
	}

	archive := filepath.Join(t.TempDir(), "image.tar")
	docker(t, "save", "-o", archive, tag)
	docker(t, "rmi", tag) // the archive alone must be enough
	res = s.mustLambda("deploy", "--image-archive", archive, "--name", archived)
	if e := decodeEcho(t, s.get(s.host(archived), "/y")); e.Path != "/y" {
		t.Errorf("archived: %+v", e)
	}
	corrupt := filepath.Join(t.TempDir(), "corrupt.tar")
	if err := os.WriteFile(corrupt, []byte("this is not a docker save archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := s.lambda("deploy", "--image-archive", corrupt, "--name", archived); res.code == 0 || !strings.Contains(res.stderr, "not a docker save archive") {
		t.Errorf("corrupt archive: %+v", res)
	}
	if res := s.lambda("deploy", "testdata/fixture", "--image", tag, "--name", "x"); res.code == 0 {
		t.Error("two sources were accepted")
	}

	// A manifest names the function, sets its configuration and schedules.
	dir := t.TempDir()
	copyDir(t, "testdata/fixture", dir)
	manifest := `name: ` + manifested + `
env:
  FIXTURE_TAG: from-manifest
memory: 128m
timeout: 5s
max_instances: 2
schedules:
  - cron: "@hourly"
    data: {"name": "cron"}
`
	if err := os.WriteFile(filepath.Join(dir, "lambda.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	s.mustLambda("deploy", dir)
	if e := decodeEcho(t, s.get(s.host(manifested), "/")); e.Env != "from-manifest" {
		t.Errorf("manifest env: %+v", e)
	}
	res = s.mustLambda("describe", manifested)
	for _, want := range []string{"Memory:           128m", "Timeout:          5s", "instances 0-2"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("describe lacks %q:\n%s", want, res.stdout)
		}
	}
	if res := s.mustLambda("schedule", "list", manifested); !strings.Contains(res.stdout, "@hourly") {
		t.Errorf("manifest schedule missing:\n%s", res.stdout)
	}
	// Flags override the manifest; a redeploy does not duplicate schedules.
	s.mustLambda("deploy", dir, "--env", "FIXTURE_TAG=from-flag")
	if e := decodeEcho(t, s.get(s.host(manifested), "/")); e.Env != "from-flag" {
		t.Errorf("flag over manifest: %+v", e)
	}
	if res := s.mustLambda("schedule", "list", manifested); strings.Count(res.stdout, "@hourly") != 1 {
		t.Errorf("schedules after redeploy:\n%s", res.stdout)
	}
	for _, name := range []string{prebuilt, archived, manifested} {
		s.mustLambda("delete", name)
	}
}
