package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// preinitGoAnswer is what the Go functions of TestPreinitGoInstances
// answer: as preinitHandler, from the binary's side.
const preinitGoAnswer = `func answer() map[string]any {
	host, _ := os.Hostname()
	var files []string
	entries, _ := os.ReadDir("/var/task")
	for _, e := range entries {
		files = append(files, e.Name())
	}
	return map[string]any{"mark": os.Getenv("MARK"), "files": files, "host": host, "fn": os.Getenv("AWS_LAMBDA_FUNCTION_NAME")}
}
`

var preinitGoMains = map[string]string{
	"sdk": `package main

import (
	"os"

	"github.com/lambdahq/lambda/sdk"
)

func main() { sdk.Start(func() (map[string]any, error) { return answer(), nil }) }

` + preinitGoAnswer,
	"aws": `package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() { lambda.Start(func() (map[string]any, error) { return answer(), nil }) }

` + preinitGoAnswer,
	"stdio": `package main

import (
	"encoding/json"
	"io"
	"os"
)

func main() {
	io.Copy(io.Discard, os.Stdin)
	json.NewEncoder(os.Stdout).Encode(answer())
}

` + preinitGoAnswer,
}

// TestPreinitGoInstances: cold starts of a Go SDK function, an
// aws-lambda-go function and a stdio Go function are served by generic
// instances of the shim base (issue 14 §2): each container holds only its function's binary in its task root,
// runs it as that function with its limits (docker inspect), and refuses
// a second init.
func TestPreinitGoInstances(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	type fn struct {
		name, kind, protocol, runtime, mark, memory string
		memBytes                                    int64
	}
	fns := []*fn{
		{name: s.fn("preinitgo"), kind: "sdk", runtime: "go-handler", mark: "sdk", memory: "160m", memBytes: 160 << 20},
		{name: s.fn("preinitaws"), kind: "aws", runtime: "go-aws", mark: "aws", memory: "144m", memBytes: 144 << 20},
		{name: s.fn("preinitstdio"), kind: "stdio", protocol: "stdio", runtime: "go-stdio", mark: "stdio", memory: "128m", memBytes: 128 << 20},
	}
	for _, f := range fns {
		dir := t.TempDir()
		files := map[string]string{"go.mod": "module example.com/preinit\n\ngo 1.26\n", "main.go": preinitGoMains[f.kind]}
		if f.kind == "aws" { // testdata/aws-fn's module, as the module cache has it
			sum, err := os.ReadFile("testdata/aws-fn/go.sum")
			if err != nil {
				t.Fatal(err)
			}
			files["go.mod"] += "\nrequire github.com/aws/aws-lambda-go v1.55.0\n"
			files["go.sum"] = string(sum)
		}
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		args := []string{"deploy", dir, "--name", f.name, "--env", "MARK=" + f.mark, "--memory", f.memory}
		if f.protocol != "" {
			args = append(args, "--protocol", f.protocol)
		}
		s.mustLambda(args...)
		s.mustLambda("config", f.name, "--idle-timeout", "1s", "--standby-timeout", "0")
		t.Cleanup(func() { s.lambda("delete", f.name) })
	}
	hosts := map[string]string{}
	for _, f := range fns {
		got, container := s.preinitColdStart(t, f.name, f.runtime)
		if got.Mark != f.mark || got.Fn != f.name {
			t.Errorf("%s's instance answered as %q/%q", f.name, got.Fn, got.Mark)
		}
		if !slices.Equal(got.Files, []string{"function"}) {
			t.Errorf("%s's task root holds %v, want only its own binary", f.name, got.Files)
		}
		if cmd := docker(t, "inspect", "-f", `{{json .Config.Entrypoint}}`, container); !strings.Contains(cmd, `"/var/task/function"`) {
			t.Errorf("%s's container runs %s, want the shim running /var/task/function", f.name, cmd)
		}
		checkPreinitContainer(t, s, f.name, f.mark, container, f.memBytes)
		for other, h := range hosts {
			if h == got.Host {
				t.Errorf("%s was served by %s's container %s", f.name, other, h)
			}
		}
		hosts[f.name] = got.Host
	}
}
