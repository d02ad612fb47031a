package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda/manifest"
	"github.com/lambdahq/lambda/templates"
)

// TestInitEveryTemplate: each template is written with the directory's
// name, and its lambda.yaml is one the deploy accepts.
func TestInitEveryTemplate(t *testing.T) {
	isolateCredentials(t)
	for _, tpl := range templates.List() {
		t.Run(tpl.Name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "hello-"+tpl.Name)
			stdout, stderr, code := runCLI(t, "", "", "init", dir, "--template", tpl.Name)
			if code != 0 || !strings.Contains(stdout, "from template "+tpl.Name) || !strings.Contains(stdout, "lambda deploy .") {
				t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
			}
			m, err := manifest.Load(dir)
			if err != nil {
				t.Fatalf("lambda.yaml: %v", err)
			}
			if tpl.Project {
				if m.Project != "hello-"+tpl.Name || len(m.Functions) < 2 {
					t.Fatalf("project manifest: %+v", m)
				}
				return
			}
			cfg := m.Config()
			if m.Name != "hello-"+tpl.Name || cfg.Runtime != tpl.Runtime {
				t.Fatalf("manifest name %q runtime %q, want %q %q", m.Name, cfg.Runtime, "hello-"+tpl.Name, tpl.Runtime)
			}
		})
	}
}

func TestInitChoosesTheTemplate(t *testing.T) {
	isolateCredentials(t)
	tests := []struct {
		args []string
		want string // template, or "" for an error
		err  string
	}{
		{[]string{"--runtime", "go"}, "go-http", ""},
		{[]string{"--runtime", "go", "--protocol", "stdio"}, "go-stdio", ""},
		{[]string{"--runtime", "node"}, "node", ""},
		{[]string{"--runtime", "dockerfile", "--protocol", "stdio"}, "dockerfile-stdio", ""},
		{[]string{"-t", "project-node"}, "project-node", ""},
		{[]string{"--runtime", "ruby"}, "", `no template for runtime "ruby": use one of go, python, node, dockerfile`},
		{[]string{"--runtime", "node", "--protocol", "http"}, "", `protocol "http" does not apply to the node runtime`},
		{[]string{"--template", "rust"}, "", `no template "rust": use one of go-http, go-aws`},
		{[]string{"--template", "node", "--runtime", "node"}, "", "--template names the runtime and protocol itself"},
		{[]string{"--protocol", "aws"}, "", "--protocol needs --runtime"},
		// Not a terminal: no question, the list.
		{nil, "", "choose a template with --runtime RUNTIME [--protocol P] or --template NAME:\nTEMPLATE"},
		{[]string{"--name", "Bad_Name", "--runtime", "go"}, "", "--name: function name \"Bad_Name\" contains"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "fn")
			stdout, stderr, code := runCLI(t, "", "", append([]string{"init", dir, "-o", "json"}, tt.args...)...)
			if tt.want == "" {
				if code == 0 || !strings.Contains(stderr, tt.err) {
					t.Fatalf("exit %d, %q; want an error with %q", code, stderr, tt.err)
				}
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Fatalf("a refused init wrote %s: %v", dir, err)
				}
				return
			}
			var res initResult
			if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.Template != tt.want || res.Name != "fn" || len(res.Files) == 0 {
				t.Fatalf("exit %d, %+v, %s", code, res, stderr)
			}
		})
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	isolateCredentials(t)
	dir := t.TempDir()
	mine := filepath.Join(dir, "handler.py")
	os.WriteFile(mine, []byte("mine"), 0o644)
	_, stderr, code := runCLI(t, "", "", "init", dir, "--runtime", "python")
	if code == 0 || !strings.Contains(stderr, "is not empty: lambda init never overwrites files") {
		t.Fatalf("init into a non-empty directory: exit %d, %q", code, stderr)
	}
	if b, _ := os.ReadFile(mine); string(b) != "mine" {
		t.Fatalf("the user's file changed: %q", b)
	}
	// A directory name that is no function name needs --name.
	bad := filepath.Join(t.TempDir(), "My Function")
	if _, stderr, code := runCLI(t, "", "", "init", bad, "--runtime", "go"); code == 0 || !strings.Contains(stderr, "pass --name NAME") {
		t.Fatalf("init into %q: exit %d, %q", bad, code, stderr)
	}
	if stdout, stderr, code := runCLI(t, "", "", "init", bad, "--runtime", "go", "--name", "mine"); code != 0 || !strings.Contains(stdout, `function "mine"`) {
		t.Fatalf("init --name: exit %d, %q %q", code, stdout, stderr)
	}
	// init calls no server: --server is refused.
	if _, stderr, code := runCLI(t, "http://x", "", "init", filepath.Join(t.TempDir(), "x"), "--runtime", "go"); code == 0 || !strings.Contains(stderr, "--server is for the commands that call a server") {
		t.Fatalf("init --server: exit %d, %q", code, stderr)
	}
}

func TestInitList(t *testing.T) {
	stdout, _, code := runCLI(t, "", "", "init", "--list")
	if code != 0 || !strings.HasPrefix(stdout, "TEMPLATE") || !strings.Contains(stdout, "go-aws") || !strings.Contains(stdout, "project-node") {
		t.Fatalf("init --list: exit %d\n%s", code, stdout)
	}
	var list []templates.Template
	stdout, _, _ = runCLI(t, "", "", "init", "--list", "-o", "json")
	if err := json.Unmarshal([]byte(stdout), &list); err != nil || len(list) != len(templates.List()) {
		t.Fatalf("init --list -o json: %v %s", err, stdout)
	}
}

func TestAskTemplate(t *testing.T) {
	var out strings.Builder
	tpl, err := askTemplate(strings.NewReader("99\nnope\n2\n"), &out)
	if err != nil || tpl.Name != templates.List()[1].Name || !strings.Contains(out.String(), `"99" is not one of them`) {
		t.Fatalf("askTemplate = %s, %v\n%s", tpl.Name, err, out.String())
	}
	if tpl, err := askTemplate(strings.NewReader("python\n"), &out); err != nil || tpl.Name != "python" {
		t.Fatalf("askTemplate by name = %s, %v", tpl.Name, err)
	}
	if _, err := askTemplate(strings.NewReader(""), &out); err == nil {
		t.Fatal("askTemplate without input chose something")
	}
}
