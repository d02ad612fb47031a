package templates

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestEveryTemplateIsComplete: each template has what the issue asks of
// all of them, and no placeholder survives Write.
func TestEveryTemplateIsComplete(t *testing.T) {
	for _, tpl := range List() {
		t.Run(tpl.Name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "fn")
			written, err := tpl.Write(dir, "my-fn")
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"lambda.yaml", ".lambdaignore", "README.md"} {
				if !slices.Contains(written, want) {
					t.Errorf("no %s in %v", want, written)
				}
			}
			hasTest := slices.ContainsFunc(written, func(p string) bool {
				return strings.HasSuffix(p, "_test.go") || strings.HasPrefix(p, "test_") || strings.HasSuffix(p, ".test.js") || p == "test.sh"
			})
			if !hasTest || len(tpl.Test) == 0 {
				t.Errorf("no unit test in %v (runner %v)", written, tpl.Test)
			}
			if tpl.Runtime == lambda.RuntimeGo && !slices.Contains(written, "go.mod") {
				t.Errorf("a Go template without go.mod: %v", written)
			}
			for _, p := range written {
				b, err := os.ReadFile(filepath.Join(dir, p))
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(b), Placeholder) {
					t.Errorf("%s still holds %s", p, Placeholder)
				}
				if strings.HasSuffix(p, ".tmpl") {
					t.Errorf("%s written under its stored name", p)
				}
			}
			yaml, _ := os.ReadFile(filepath.Join(dir, "lambda.yaml"))
			key := "name: my-fn\n"
			if tpl.Project {
				key = "project: my-fn\n"
			}
			if !strings.Contains(string(yaml), key) || !strings.Contains(string(yaml), "runtime: "+tpl.Runtime+"\n") || !strings.HasPrefix(string(yaml), "#") {
				t.Errorf("lambda.yaml does not name the function, its runtime, or is not commented:\n%s", yaml)
			}
			readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
			if !strings.Contains(string(readme), "lambda deploy") || !strings.Contains(string(readme), "Hello, World!") {
				t.Errorf("README does not say how to deploy and what it answers:\n%s", readme)
			}
		})
	}
}

func TestWriteRefusesANonEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	tpl, _ := Find("go-http")
	if _, err := tpl.Write(dir, "x"); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("Write into a non-empty directory: %v, want ErrNotEmpty", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "main.go")); string(b) != "mine" {
		t.Fatalf("the user's file was changed: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "lambda.yaml")); !os.IsNotExist(err) {
		t.Fatalf("something was written: %v", err)
	}
	// An empty existing directory is fine.
	empty := t.TempDir()
	if _, err := tpl.Write(empty, "x"); err != nil {
		t.Fatalf("Write into an empty directory: %v", err)
	}
}

func TestScriptsAreExecutable(t *testing.T) {
	tpl, _ := Find("dockerfile-http")
	dir := t.TempDir()
	if _, err := tpl.Write(dir, "x"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "www", "cgi-bin", "index.cgi"))
	if err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("index.cgi: %v %v, want executable", fi, err)
	}
}

func TestFor(t *testing.T) {
	tests := []struct {
		runtime, protocol string
		want              string // template name, or the error's text
		code              string
	}{
		{"go", "", "go-http", ""},
		{"go", "aws", "go-aws", ""},
		{"go", "stdio", "go-stdio", ""},
		{"python", "", "python", ""},
		{"node", "handler", "node", ""},
		{"dockerfile", "", "dockerfile-http", ""},
		{"dockerfile", "stdio", "dockerfile-stdio", ""},
		{"dockerfile", "aws", "dockerfile-aws", ""},
		{"ruby", "", `no template for runtime "ruby": use one of go, python, node, dockerfile`, lambda.EINVALID},
		{"python", "http", `protocol "http" does not apply to the python runtime`, lambda.EINVALID},
		{"go", "grpc", `no go template of protocol "grpc": use --protocol http, --protocol aws, --protocol stdio`, lambda.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.runtime+"/"+tt.protocol, func(t *testing.T) {
			got, err := For(tt.runtime, tt.protocol)
			if tt.code == "" {
				if err != nil || got.Name != tt.want {
					t.Fatalf("For = %s, %v; want %s", got.Name, err, tt.want)
				}
				return
			}
			if lambda.ErrorCode(err) != tt.code || !strings.Contains(lambda.ErrorMessage(err), tt.want) {
				t.Fatalf("For = %s, %v; want %s %q", got.Name, err, tt.code, tt.want)
			}
		})
	}
	if _, err := Find("rust"); lambda.ErrorCode(err) != lambda.ENOTFOUND || !strings.Contains(err.Error(), "go-http") {
		t.Fatalf("Find(rust) = %v", err)
	}
}
