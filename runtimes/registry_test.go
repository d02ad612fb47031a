package runtimes

import (
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

const (
	goMod      = "module example.com/f\n\ngo 1.26\n"
	goMain     = "package main\n\nfunc main() {}\n"
	sdkGoModV  = goMod + "\nrequire github.com/lambdahq/lambda v0.0.0\n\nreplace github.com/lambdahq/lambda => ../..\n"
	sdkMain    = "package main\n\nimport \"github.com/lambdahq/lambda/sdk\"\n\nfunc main() { sdk.RunFunc(func() int { return 1 }) }\n"
	awsGoMod   = goMod + "\nrequire github.com/aws/aws-lambda-go v1.55.0\n"
	awsMain    = "package main\n\nimport \"github.com/aws/aws-lambda-go/lambda\"\n\nfunc main() { lambda.Start(func() error { return nil }) }\n"
	pyHandler  = "def handler(event, context):\n    return event\n"
	jsHandler  = "exports.handler = async (event) => event;\n"
	dockerfile = "FROM scratch\n"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		want     string
		runtime  string // "" when an error is expected
		errParts []string
	}{
		{name: "dockerfile", files: map[string]string{"Dockerfile": dockerfile}, runtime: lambda.RuntimeDockerfile},
		{name: "go", files: map[string]string{"go.mod": goMod}, runtime: lambda.RuntimeGo},
		{name: "python", files: map[string]string{"handler.py": pyHandler}, runtime: lambda.RuntimePython},
		{name: "node index.js", files: map[string]string{"index.js": jsHandler}, runtime: lambda.RuntimeNode},
		{name: "node handler.js", files: map[string]string{"handler.js": jsHandler}, runtime: lambda.RuntimeNode},
		{name: "dockerfile wins over go.mod", files: map[string]string{"Dockerfile": dockerfile, "go.mod": goMod}, runtime: lambda.RuntimeDockerfile},
		{name: "go wins over handler.py", files: map[string]string{"go.mod": goMod, "handler.py": pyHandler}, runtime: lambda.RuntimeGo},
		{name: "python wins over node", files: map[string]string{"handler.py": pyHandler, "index.js": jsHandler}, runtime: lambda.RuntimePython},
		{name: "want overrides detection", files: map[string]string{"Dockerfile": dockerfile, "go.mod": goMod}, want: lambda.RuntimeGo, runtime: lambda.RuntimeGo},
		{name: "want is case-insensitive", files: map[string]string{"go.mod": goMod}, want: "Go", runtime: lambda.RuntimeGo},
		{name: "want without its file", files: map[string]string{"go.mod": goMod}, want: lambda.RuntimeDockerfile,
			errParts: []string{`runtime "dockerfile" needs Dockerfile`, "missing"}},
		{name: "want node without its files", files: map[string]string{"go.mod": goMod}, want: lambda.RuntimeNode,
			errParts: []string{`runtime "node" needs index.js or handler.js`}},
		{name: "unknown want", files: map[string]string{"go.mod": goMod}, want: "cobol",
			errParts: []string{`runtime "cobol" is not supported`, "dockerfile, go, python, node"}},
		{name: "empty dir", files: map[string]string{},
			errParts: []string{"no runtime detected in the function directory: looked for Dockerfile, go.mod, handler.py, index.js, handler.js", "set the runtime explicitly"}},
		{name: "unrelated files", files: map[string]string{"main.go": "package main\n", "README": "hi", "app.py": pyHandler},
			errParts: []string{"looked for Dockerfile, go.mod, handler.py"}},
		{name: "a directory named Dockerfile is not one", files: map[string]string{"Dockerfile/x": "", "go.mod": goMod}, runtime: lambda.RuntimeGo},
		{name: "function in a subdirectory", files: map[string]string{"greet/handler.py": pyHandler},
			errParts: []string{"subdirectory greet/ looks like a python function: deploy that directory instead"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			rt, err := NewRegistry(&fakeDriver{}).Detect(dir, tt.want)
			if tt.runtime != "" {
				if err != nil {
					t.Fatalf("Detect: %v", err)
				}
				if rt.Name() != tt.runtime {
					t.Fatalf("runtime = %q, want %q", rt.Name(), tt.runtime)
				}
				return
			}
			wantCode(t, err, lambda.EINVALID)
			for _, part := range tt.errParts {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
		})
	}
}

// TestResolve covers how a deploy's runtime, protocol and handler are
// decided from the code and the user's settings.
func TestResolve(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		cfg   lambda.Config
		want  lambda.Config // Runtime, Protocol, Handler; zero when an error is expected
		err   string
	}{
		{name: "dockerfile defaults to http", files: map[string]string{"Dockerfile": dockerfile},
			want: lambda.Config{Runtime: "dockerfile", Protocol: "http"}},
		{name: "dockerfile with stdio", files: map[string]string{"Dockerfile": dockerfile}, cfg: lambda.Config{Protocol: "stdio"},
			want: lambda.Config{Runtime: "dockerfile", Protocol: "stdio"}},
		{name: "dockerfile with aws", files: map[string]string{"Dockerfile": dockerfile}, cfg: lambda.Config{Protocol: "aws"},
			want: lambda.Config{Runtime: "dockerfile", Protocol: "aws"}},
		{name: "dockerfile refuses handler protocol", files: map[string]string{"Dockerfile": dockerfile}, cfg: lambda.Config{Protocol: "handler"},
			err: "protocol handler is for the python and node runtimes"},
		{name: "dockerfile refuses a handler", files: map[string]string{"Dockerfile": dockerfile}, cfg: lambda.Config{Runtime: "dockerfile", Handler: "x.y"},
			err: "a Dockerfile function has no handler setting"},
		{name: "unknown protocol", files: map[string]string{"Dockerfile": dockerfile}, cfg: lambda.Config{Protocol: "grpc"},
			err: `protocol "grpc" is not supported: use http, aws, stdio`},
		{name: "plain go is http", files: map[string]string{"go.mod": goMod, "main.go": goMain},
			want: lambda.Config{Runtime: "go", Protocol: "http"}},
		{name: "plain go with stdio", files: map[string]string{"go.mod": goMod, "main.go": goMain}, cfg: lambda.Config{Protocol: "stdio"},
			want: lambda.Config{Runtime: "go", Protocol: "stdio"}},
		{name: "go sdk by go.mod is handler", files: map[string]string{"go.mod": sdkGoModV, "main.go": goMain},
			want: lambda.Config{Runtime: "go", Protocol: "handler"}},
		{name: "go sdk by import is handler", files: map[string]string{"go.mod": goMod, "main.go": sdkMain},
			want: lambda.Config{Runtime: "go", Protocol: "handler"}},
		{name: "go sdk user picks http", files: map[string]string{"go.mod": sdkGoModV, "main.go": sdkMain}, cfg: lambda.Config{Protocol: "http"},
			want: lambda.Config{Runtime: "go", Protocol: "http"}},
		{name: "aws-lambda-go is aws", files: map[string]string{"go.mod": awsGoMod, "main.go": awsMain},
			want: lambda.Config{Runtime: "go", Protocol: "aws"}},
		{name: "aws-lambda-go by import only", files: map[string]string{"go.mod": goMod, "main.go": awsMain},
			want: lambda.Config{Runtime: "go", Protocol: "aws"}},
		{name: "handler protocol without the sdk", files: map[string]string{"go.mod": goMod, "main.go": goMain}, cfg: lambda.Config{Protocol: "handler"},
			err: "protocol handler needs the Go SDK"},
		{name: "go refuses a handler that is not a package path", files: map[string]string{"go.mod": goMod, "main.go": goMain}, cfg: lambda.Config{Runtime: "go", Handler: "main.x"},
			err: `handler "main.x" is not a package of the module: a Go function's handler is the path of its main package, e.g. ./cmd/api`},
		{name: "go handler: a main package of the module", files: map[string]string{"go.mod": goMod, "cmd/api/main.go": goMain, "lib.go": "package lib\n"}, cfg: lambda.Config{Handler: "./cmd/api"},
			want: lambda.Config{Runtime: "go", Protocol: "http", Handler: "./cmd/api"}},
		{name: "go handler: not main", files: map[string]string{"go.mod": goMod, "cmd/api/lib.go": "package lib\n"}, cfg: lambda.Config{Handler: "./cmd/api"},
			err: `handler "./cmd/api" is package "lib", not main`},
		{name: "go handler: missing", files: map[string]string{"go.mod": goMod, "main.go": goMain}, cfg: lambda.Config{Handler: "./cmd/nope"},
			err: `handler "./cmd/nope": the module has no directory cmd/nope`},
		{name: "go handler: outside the module", files: map[string]string{"go.mod": goMod, "main.go": goMain}, cfg: lambda.Config{Handler: "./../x"},
			err: `is not a package of the module`},
		{name: "go without package main", files: map[string]string{"go.mod": goMod, "lib.go": "package lib\n"},
			err: `the package next to go.mod is "lib", not main`},
		{name: "python defaults", files: map[string]string{"handler.py": pyHandler},
			want: lambda.Config{Runtime: "python", Protocol: "handler", Handler: "handler.handler"}},
		{name: "python explicit handler protocol", files: map[string]string{"handler.py": pyHandler}, cfg: lambda.Config{Protocol: "handler"},
			want: lambda.Config{Runtime: "python", Protocol: "handler", Handler: "handler.handler"}},
		{name: "python handler names another file", files: map[string]string{"app.py": pyHandler}, cfg: lambda.Config{Handler: "app.main"},
			want: lambda.Config{Runtime: "python", Protocol: "handler", Handler: "app.main"}},
		{name: "python handler in a package", files: map[string]string{"pkg/mod.py": pyHandler}, cfg: lambda.Config{Handler: "pkg.mod.run"},
			want: lambda.Config{Runtime: "python", Protocol: "handler", Handler: "pkg.mod.run"}},
		{name: "python handler with a slash", files: map[string]string{"src/app.py": pyHandler}, cfg: lambda.Config{Runtime: "python", Handler: "src/app.handler"},
			want: lambda.Config{Runtime: "python", Protocol: "handler", Handler: "src/app.handler"}},
		{name: "python handler file missing", files: map[string]string{"handler.py": pyHandler}, cfg: lambda.Config{Handler: "app.main"},
			err: `the python runtime looked for app.py (handler "app.main": def main(event, context) in app.py)`},
		{name: "python runtime without handler.py", files: map[string]string{"main.py": pyHandler}, cfg: lambda.Config{Runtime: "python"},
			err: `the python runtime looked for handler.py (handler "handler.handler"`},
		{name: "python refuses http", files: map[string]string{"handler.py": pyHandler}, cfg: lambda.Config{Protocol: "http"},
			err: `protocol "http" does not apply to the python runtime`},
		{name: "python bad handler", files: map[string]string{"handler.py": pyHandler}, cfg: lambda.Config{Runtime: "python", Handler: "handler"},
			err: `handler "handler" is invalid: use FILE.FUNCTION`},
		{name: "python handler escaping", files: map[string]string{"handler.py": pyHandler}, cfg: lambda.Config{Runtime: "python", Handler: "../etc.passwd"},
			err: "is invalid"},
		{name: "node index.js", files: map[string]string{"index.js": jsHandler},
			want: lambda.Config{Runtime: "node", Protocol: "handler", Handler: "index.handler"}},
		{name: "node handler.js", files: map[string]string{"handler.js": jsHandler},
			want: lambda.Config{Runtime: "node", Protocol: "handler", Handler: "handler.handler"}},
		{name: "node index.js first", files: map[string]string{"index.js": jsHandler, "handler.js": jsHandler},
			want: lambda.Config{Runtime: "node", Protocol: "handler", Handler: "index.handler"}},
		{name: "node mjs by handler", files: map[string]string{"app.mjs": jsHandler}, cfg: lambda.Config{Handler: "app.handler"},
			want: lambda.Config{Runtime: "node", Protocol: "handler", Handler: "app.handler"}},
		{name: "node nested export in a subdirectory", files: map[string]string{"src/app.js": jsHandler}, cfg: lambda.Config{Runtime: "node", Handler: "src/app.handlers.main"},
			want: lambda.Config{Runtime: "node", Protocol: "handler", Handler: "src/app.handlers.main"}},
		{name: "node handler file missing", files: map[string]string{"index.js": jsHandler}, cfg: lambda.Config{Runtime: "node", Handler: "app.handler"},
			err: `the node runtime looked for app.js, app.cjs or app.mjs (handler "app.handler")`},
		{name: "node refuses aws", files: map[string]string{"index.js": jsHandler}, cfg: lambda.Config{Protocol: "aws"},
			err: `protocol "aws" does not apply to the node runtime`},
		{name: "handler names no file", files: map[string]string{"README": "x"}, cfg: lambda.Config{Handler: "app.main"},
			err: `no file for the handler "app.main" in the function directory: looked for app.py (python) or app.js, app.cjs or app.mjs (node)`},
		{name: "handler picks the runtime over a Dockerfile", files: map[string]string{"Dockerfile": dockerfile, "app.py": pyHandler}, cfg: lambda.Config{Handler: "app.main"},
			want: lambda.Config{Runtime: "python", Protocol: "handler", Handler: "app.main"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			rt, cfg, err := NewRegistry(&fakeDriver{}).Resolve(dir, tt.cfg)
			if tt.err != "" {
				wantCode(t, err, lambda.EINVALID)
				if !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %q does not contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			got := [3]string{cfg.Runtime, cfg.Protocol, cfg.Handler}
			if got != [3]string{tt.want.Runtime, tt.want.Protocol, tt.want.Handler} || rt.Name() != cfg.Runtime {
				t.Fatalf("resolved %+v (runtime %s), want %+v", got, rt.Name(), tt.want)
			}
		})
	}
}

func TestRegistryNamesInPrecedenceOrder(t *testing.T) {
	got := strings.Join(NewRegistry(nil).Names(), ",")
	if want := "dockerfile,go,python,node"; got != want {
		t.Fatalf("Names = %s, want %s", got, want)
	}
}
