package main

import (
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
