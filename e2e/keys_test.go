package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// keysCLI runs the CLI against s in an environment of the test's own: no
// key from the runner's environment, and config and data directories that
// hold only what env (and the test) put there.
func keysCLI(t *testing.T, s *server, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"--server", s.url("")}, args...)...)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "LAMBDA_API_KEY", "LAMBDA_DATA", "LAMBDA_SERVER", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errb, strings.NewReader(stdin)
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("lambda %v: %v", args, err)
	}
	return res
}

// TestKeysLoginDeploy: on the server's host the CLI needs no key typed (it
// reads the data directory's admin.key); from "elsewhere" (no admin.key)
// it is refused until `lambda login` saves a key, which then deploys; the
// audit log names the key; a revoked key is refused at once.
func TestKeysLoginDeploy(t *testing.T) {
	requireDocker(t)
	s := startServer(t)
	image := fixtureImage(t)
	fn, other := s.fn("keys"), s.fn("keys-other")
	t.Cleanup(func() { cleanupFunction(t, fn); cleanupFunction(t, other) })

	// The first start wrote the admin key, mode 0600, and logged the path
	// but not the secret.
	adminFile := filepath.Join(s.dataDir, "admin.key")
	b, err := os.ReadFile(adminFile)
	if err != nil {
		t.Fatalf("admin.key: %v", err)
	}
	admin := strings.TrimSpace(string(b))
	if fi, _ := os.Stat(adminFile); !strings.HasPrefix(admin, "lmb_") || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin.key = %q, mode %v", admin, fi.Mode().Perm())
	}
	if logs := s.logs.String(); !strings.Contains(logs, adminFile) || strings.Contains(logs, admin) {
		t.Fatalf("server log should name %s and never hold the secret:\n%s", adminFile, lastLines(logs, 20))
	}

	home := []string{"HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir(), "XDG_DATA_HOME=" + t.TempDir()}
	// local is the server's host: its data directory is the CLI's; laptop
	// is another host, with nothing but what login saves.
	local := append([]string{"LAMBDA_DATA=" + s.dataDir}, home...)
	laptop := []string{"HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir(), "XDG_DATA_HOME=" + t.TempDir()}

	if res := keysCLI(t, s, laptop, "", "list"); res.code != 1 || !strings.Contains(res.stderr, "lambda login") {
		t.Fatalf("list without a key: exit %d, %q", res.code, res.stderr)
	}
	if res := keysCLI(t, s, local, "", "list"); res.code != 0 {
		t.Fatalf("list on the server's host with no key typed: exit %d, %q", res.code, res.stderr)
	}

	res := keysCLI(t, s, local, "", "keys", "create", "ci", "--scope", "deploy", "--function", fn, "-o", "json")
	var ci struct{ ID, Secret string }
	if res.code != 0 || json.Unmarshal([]byte(res.stdout), &ci) != nil || ci.Secret == "" {
		t.Fatalf("keys create: exit %d, %q %q", res.code, res.stdout, res.stderr)
	}

	if res := keysCLI(t, s, laptop, ci.Secret+"\n", "login"); res.code != 0 || !strings.Contains(res.stdout, "Logged in") || strings.Contains(res.stdout, ci.Secret) {
		t.Fatalf("login: exit %d, %q %q", res.code, res.stdout, res.stderr)
	}
	if res := keysCLI(t, s, laptop, "", "deploy", "--image", image, "--name", fn); res.code != 0 {
		t.Fatalf("deploy after login: exit %d\n%s", res.code, res.stderr)
	}
	if res := keysCLI(t, s, laptop, "", "deploy", "--image", image, "--name", other); res.code != 1 || !strings.Contains(res.stderr, other) {
		t.Fatalf("deploy of a function the key does not cover: exit %d, %q", res.code, res.stderr)
	}

	res = keysCLI(t, s, local, "", "audit", "-o", "json")
	var entries []struct {
		KeyID    string `json:"key_id"`
		Action   string `json:"action"`
		Function string `json:"function"`
		Status   int    `json:"status"`
	}
	if res.code != 0 || json.Unmarshal([]byte(res.stdout), &entries) != nil {
		t.Fatalf("audit: exit %d, %q %q", res.code, res.stdout, res.stderr)
	}
	var got []string
	for _, e := range entries {
		if e.KeyID == ci.ID {
			got = append(got, e.Action+" "+e.Function)
		}
	}
	if want := "deploy " + fn + ",deploy " + other; strings.Join(got, ",") != want {
		t.Fatalf("audit entries of the ci key = %q, want %q\n%s", got, want, res.stdout)
	}

	if res := keysCLI(t, s, local, "", "keys", "revoke", ci.ID); res.code != 0 {
		t.Fatalf("revoke: exit %d, %q", res.code, res.stderr)
	}
	if res := keysCLI(t, s, laptop, "", "list"); res.code != 1 || !strings.Contains(res.stderr, "revoked") {
		t.Fatalf("list with the revoked key: exit %d, %q", res.code, res.stderr)
	}
}
