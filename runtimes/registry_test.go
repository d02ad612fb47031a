package runtimes

import (
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestDetect(t *testing.T) {
	const goMod = "module example.com/f\n\ngo 1.26\n"
	tests := []struct {
		name     string
		files    map[string]string
		want     string
		runtime  string // "" when an error is expected
		errParts []string
	}{
		{name: "dockerfile", files: map[string]string{"Dockerfile": "FROM scratch\n"}, runtime: lambda.RuntimeDockerfile},
		{name: "go", files: map[string]string{"go.mod": goMod}, runtime: lambda.RuntimeGo},
		{name: "dockerfile wins over go.mod", files: map[string]string{"Dockerfile": "FROM scratch\n", "go.mod": goMod}, runtime: lambda.RuntimeDockerfile},
		{name: "want overrides detection", files: map[string]string{"Dockerfile": "FROM scratch\n", "go.mod": goMod}, want: lambda.RuntimeGo, runtime: lambda.RuntimeGo},
		{name: "want is case-insensitive", files: map[string]string{"go.mod": goMod}, want: "Go", runtime: lambda.RuntimeGo},
		{name: "want dockerfile", files: map[string]string{"Dockerfile": "FROM scratch\n"}, want: lambda.RuntimeDockerfile, runtime: lambda.RuntimeDockerfile},
		{name: "want without its file", files: map[string]string{"go.mod": goMod}, want: lambda.RuntimeDockerfile,
			errParts: []string{`runtime "dockerfile" needs Dockerfile`, "missing"}},
		{name: "unknown want", files: map[string]string{"go.mod": goMod}, want: "cobol",
			errParts: []string{`runtime "cobol" is not supported`, "dockerfile, go"}},
		{name: "empty dir", files: map[string]string{},
			errParts: []string{"no runtime detected in the function directory: looked for Dockerfile, go.mod", "set the runtime explicitly"}},
		{name: "unrelated files", files: map[string]string{"main.go": "package main\n", "README": "hi"},
			errParts: []string{"looked for Dockerfile, go.mod"}},
		{name: "a directory named Dockerfile is not one", files: map[string]string{"Dockerfile/x": "", "go.mod": goMod}, runtime: lambda.RuntimeGo},
		{name: "function in a subdirectory", files: map[string]string{"greet/go.mod": goMod},
			errParts: []string{"looked for Dockerfile, go.mod", "subdirectory greet/ looks like a go function: deploy that directory instead"}},
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

func TestRegistryNamesInPrecedenceOrder(t *testing.T) {
	got := strings.Join(NewRegistry(nil).Names(), ",")
	if want := lambda.RuntimeDockerfile + "," + lambda.RuntimeGo; got != want {
		t.Fatalf("Names = %s, want %s", got, want)
	}
}
