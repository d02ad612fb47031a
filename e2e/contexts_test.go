package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestContexts: two servers, each with a function of its own; contexts
// switch the CLI between them (use, --context, LAMBDA_CONTEXT), login
// saves into a context, version shows both sides, and a context file
// others may read is refused with the command that fixes it.
func TestContexts(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	a := sharedServer(t)
	b := startServer(t)
	onA, onB := a.fn("ctx-a"), b.fn("ctx-b")
	a.mustLambda("deploy", "--image", fixtureImage(t), "--name", onA)
	b.mustLambda("deploy", "--image", fixtureImage(t), "--name", onB)

	// A user of their own: no key or server from the environment.
	config := t.TempDir()
	env := []string{"XDG_CONFIG_HOME=" + config, "HOME=" + t.TempDir(), "LAMBDA_API_KEY=", "LAMBDA_SERVER=", "LAMBDA_CONTEXT=", "LAMBDA_CA_CERT="}
	cli := func(extra []string, args ...string) result {
		t.Helper()
		return runCLIEnv(t, append(append([]string(nil), env...), extra...), args...)
	}
	must := func(extra []string, args ...string) string {
		t.Helper()
		res := cli(extra, args...)
		if res.code != 0 {
			t.Fatalf("lambda %s: exit %d\n%s%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
		}
		return res.stdout
	}
	keyA := filepath.Join(t.TempDir(), "a.key")
	if err := os.WriteFile(keyA, []byte(a.apiKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(nil, "context", "add", "a", "--server", a.url(""), "--api-key-file", keyA)
	must(nil, "context", "add", "b", "--server", b.url("")) // its key comes from login

	// Login stores b's key into context b.
	res := runCLIStdin(t, env, []byte(b.apiKey+"\n"), "login", "--context", "b")
	if res.code != 0 || !strings.Contains(res.stdout, `key saved in context "b"`) {
		t.Fatalf("login --context b: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	lists := func(out, has, hasNot string) bool {
		return strings.Contains(out, has) && !strings.Contains(out, hasNot)
	}
	must(nil, "context", "use", "a")
	if out := must(nil, "list"); !lists(out, onA, onB) {
		t.Fatalf("list in context a:\n%s", out)
	}
	if out := must(nil, "--context", "b", "list"); !lists(out, onB, onA) {
		t.Fatalf("list --context b:\n%s", out)
	}
	if out := must([]string{"LAMBDA_CONTEXT=b"}, "list"); !lists(out, onB, onA) {
		t.Fatalf("LAMBDA_CONTEXT=b list:\n%s", out)
	}
	// The flag beats the environment, which beats the context.
	if out := must([]string{"LAMBDA_CONTEXT=b"}, "--context", "a", "list"); !lists(out, onA, onB) {
		t.Fatalf("--context a with LAMBDA_CONTEXT=b:\n%s", out)
	}
	must(nil, "context", "use", "b")
	if out := must(nil, "list"); !lists(out, onB, onA) {
		t.Fatalf("list in context b:\n%s", out)
	}
	out := must(nil, "context", "list")
	if !strings.Contains(out, "b *") || !strings.Contains(out, keyA) || strings.Contains(out, b.apiKey) {
		t.Fatalf("context list:\n%s", out)
	}

	// version: the client's build and the server's, through the context.
	type build struct {
		Version   string `json:"version"`
		GoVersion string `json:"go_version"`
	}
	var v struct {
		Client    build  `json:"client"`
		Server    *build `json:"server"`
		ServerURL string `json:"server_url"`
	}
	if err := json.Unmarshal([]byte(must(nil, "version", "-o", "json")), &v); err != nil || v.Server == nil || v.ServerURL != b.url("") || v.Server.GoVersion == "" || v.Client.GoVersion == "" {
		t.Fatalf("version -o json: %v %+v", err, v)
	}
	out = must(nil, "version")
	if !strings.Contains(out, "Client:\n Version:") || !strings.Contains(out, "Server: "+b.url("")+"\n Version:") {
		t.Fatalf("version:\n%s", out)
	}

	// Bad input.
	if res := cli(nil, "context", "use", "nope"); res.code == 0 || !strings.Contains(res.stderr, `context "nope" (from the command line) does not exist: the contexts are default, a, b`) {
		t.Errorf("context use nope: exit %d, %q", res.code, res.stderr)
	}
	path := filepath.Join(config, "lambda", "contexts.json")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if res := cli(nil, "list"); res.code == 0 || !strings.Contains(res.stderr, "fix it with: chmod 600 "+path) {
		t.Errorf("list with a 0644 contexts file: exit %d, %q", res.code, res.stderr)
	}
	os.Chmod(path, 0o600)
	if out := must(nil, "list"); !lists(out, onB, onA) {
		t.Fatalf("list once the file is private again:\n%s", out)
	}
}
