package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDeployPlacement: --placement reaches the deploy's config, repeated
// flags in order; a malformed constraint is refused before any upload.
func TestDeployPlacement(t *testing.T) {
	api, url := newFakeAPI(t)
	dir := functionDir(t, "greet")
	_, stderr, code := runCLI(t, url, "", "deploy", dir, "--runtime", "dockerfile", "--placement", "node.labels.gpu==true", "--placement", "node.hostname!=lsw-n3")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if got := api.lastDeploy.Config.Placement; !slices.Equal(got, []string{"node.labels.gpu==true", "node.hostname!=lsw-n3"}) {
		t.Errorf("placement sent = %q", got)
	}
	_, stderr, code = runCLI(t, url, "", "deploy", dir, "--placement", "gpu")
	if code == 0 || !strings.HasPrefix(stderr, `Error: --placement: placement constraint "gpu" is invalid`) {
		t.Errorf("a bad constraint: exit %d, stderr %q", code, stderr)
	}
}

// TestDeployPlacementManifest: a malformed placement: in lambda.yaml is
// refused with its line before any upload; a valid one travels in the
// upload, which the server reads, so the request carries only the flag.
func TestDeployPlacementManifest(t *testing.T) {
	api, url := newFakeAPI(t)
	dir := functionDir(t, "greet")
	writeManifest := func(src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "lambda.yaml"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeManifest("runtime: dockerfile\nplacement: [gpu]\n")
	_, stderr, code := runCLI(t, url, "", "deploy", dir)
	if code == 0 || !strings.Contains(stderr, `lambda.yaml: line 2: placement: placement constraint "gpu" is invalid`) {
		t.Errorf("a bad constraint in the manifest: exit %d, stderr %q", code, stderr)
	}
	writeManifest("runtime: dockerfile\nplacement:\n  - node.labels.gpu==true\n")
	if _, stderr, code := runCLI(t, url, "", "deploy", dir, "--placement", "node.role==worker"); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if got := api.lastDeploy.Config.Placement; !slices.Equal(got, []string{"node.role==worker"}) {
		t.Errorf("placement sent with --placement = %q, want the flag's alone", got)
	}
}
