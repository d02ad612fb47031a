package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileKeyReadsAnotherFunctionsCode: a deploy key limited to one
// function cannot put another function's code in its own image: not with
// a Dockerfile that copies from the other's platform-built image (COPY
// --from=func-OTHER:v1), nor by deploying a step of the other's build (the
// untagged parent of func-OTHER:v1) by a prefix of its ID. Both served the
// other's files before; the key still deploys images of its own.
func TestHostileKeyReadsAnotherFunctionsCode(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	image := fixtureImage(t)
	victim, thief := s.fn("victim"), s.fn("thief")

	dir := t.TempDir()
	for name, body := range map[string]string{
		"Dockerfile": "FROM " + image + "\nCOPY secret.txt /secret.txt\n",
		"secret.txt": "the victim's secret\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.mustLambda("deploy", dir, "--name", victim)
	step := strings.TrimPrefix(strings.TrimSpace(docker(t, "image", "inspect", "-f", "{{.Parent}}", "func-"+victim+":v1")), "sha256:")
	if step == "" {
		t.Fatal("func-" + victim + ":v1 has no parent image")
	}

	res := s.mustLambda("keys", "create", thief, "--scope", "deploy", "--function", thief, "-o", "json")
	var key struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(res.stdout), &key); err != nil || key.Secret == "" {
		t.Fatalf("keys create: %v %q", err, res.stdout)
	}
	t.Cleanup(func() { s.lambda("keys", "revoke", key.ID) })
	env := []string{"LAMBDA_API_KEY=" + key.Secret}

	thiefDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(thiefDir, "Dockerfile"), []byte("FROM "+image+"\nCOPY --from=func-"+victim+":v1 /secret.txt /stolen.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := keysCLI(t, s, env, "", "deploy", thiefDir, "--name", thief); res.code == 0 || !strings.Contains(res.stderr, victim) {
		t.Errorf("deploy of a Dockerfile copying from %s's image: exit %d, %q; want refused naming it", victim, res.code, res.stderr)
	}
	if res := keysCLI(t, s, env, "", "deploy", "--image", step[:12], "--name", thief); res.code == 0 || !strings.Contains(res.stderr, "no tag") {
		t.Errorf("deploy --image of a step of %s's build (%s): exit %d, %q; want refused", victim, step[:12], res.code, res.stderr)
	}
	if res := keysCLI(t, s, env, "", "deploy", "--image", image, "--name", thief); res.code != 0 {
		t.Errorf("deploy --image of an image of the key's own choosing: exit %d, %q", res.code, res.stderr)
	}
}
