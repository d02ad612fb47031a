package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// functionDir makes a directory called name holding a tiny function.
func functionDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY app /app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDeployPrintsProgressAndURL(t *testing.T) {
	api, url := newFakeAPI(t)
	dir := functionDir(t, "greet")
	stdout, stderr, code := runCLI(t, url, "", "deploy", dir, "--env", "GREETING=hi=there", "--env", "B=", "--memory", "128m", "--timeout", "10s", "--runtime", "dockerfile")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	wantErr := `Packaging function code... Done.
[1/3] Unpacking function code... Done.
[2/3] Building image "func-greet"...
Step 1/2 : FROM scratch
Step 2/2 : COPY app /app
[3/3] Starting container... Done.
`
	if stderr != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, wantErr)
	}
	if want := "Your function is live at: http://greet.localhost:8080\n"; stdout != want {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}
	want := lambda.Config{Runtime: "dockerfile", Env: map[string]string{"GREETING": "hi=there", "B": ""}, MemoryBytes: 128 << 20, Timeout: lambda.Duration(10 * time.Second)}
	got := api.lastDeploy.Config
	if got.Runtime != want.Runtime || got.MemoryBytes != want.MemoryBytes || got.Timeout != want.Timeout || len(got.Env) != 2 || got.Env["GREETING"] != "hi=there" {
		t.Errorf("config sent = %+v, want %+v", got, want)
	}
}

func TestDeployJSONOutput(t *testing.T) {
	_, url := newFakeAPI(t)
	dir := functionDir(t, "greet")
	stdout, stderr, code := runCLI(t, url, "", "deploy", dir, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var fn lambdahttp.FunctionDetail
	if err := json.Unmarshal([]byte(stdout), &fn); err != nil || fn.Name != "greet" || fn.URL != "http://greet.localhost:8080" {
		t.Errorf("stdout = %q (%v)", stdout, err)
	}
}

func TestDeployBuildFailure(t *testing.T) {
	api, url := newFakeAPI(t)
	api.add("broken", 2, time.Now())
	dir := functionDir(t, "broken")
	stdout, stderr, code := runCLI(t, url, "", "deploy", dir)
	if code != 1 || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	want := `Packaging function code... Done.
[1/3] Unpacking function code... Done.
[2/3] Building image "func-broken"...
Step 1/2 : FROM scratch
Step 2/2 : COPY app /app
Build output:
Step 1/2 : FROM scratch
Step 2/2 : COPY app /app
Error: build failed: COPY failed: no such file app
Nothing changed: version 2 of "broken" still serves requests.
`
	if stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
}

func TestDeployFirstBuildFailure(t *testing.T) {
	_, url := newFakeAPI(t)
	_, stderr, code := runCLI(t, url, "", "deploy", functionDir(t, "broken"))
	if code != 1 || !strings.HasSuffix(stderr, "Nothing was deployed: \"broken\" has no version yet.\n") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestDeployErrors(t *testing.T) {
	_, url := newFakeAPI(t)
	greet := functionDir(t, "greet")
	badName := functionDir(t, "My_App")
	tests := []struct {
		name string
		args []string
		want string // first line of stderr
	}{
		{"directory name is not a function name", []string{"deploy", badName},
			`Error: the directory name "My_App" is not a valid function name: choose one with --name or name: in lambda.yaml (use 1-63 lowercase letters, digits or dashes, not starting or ending with a dash)`},
		{"bad --name", []string{"deploy", greet, "--name", "-x"},
			`Error: --name: function name "-x" starts or ends with a dash: use 1-63 lowercase letters, digits or dashes, not starting or ending with a dash`},
		{"env without =", []string{"deploy", greet, "--env", "FOO"}, `Error: --env "FOO" is invalid: use KEY=VALUE`},
		{"bad env name", []string{"deploy", greet, "--env", "1X=2"},
			`Error: --env "1X=2": environment variable name "1X" is invalid: use letters, digits and _, not starting with a digit`},
		{"bad memory", []string{"deploy", greet, "--memory", "lots"},
			`Error: --memory: size "lots" is invalid: use a positive number with an optional unit k, m or g (e.g. 256m)`},
		{"memory out of range", []string{"deploy", greet, "--memory", "1m"}, `Error: memory 1m is out of range 16m-10g`},
		{"bad timeout", []string{"deploy", greet, "--timeout", "10"}, `Error: --timeout "10" is invalid: use a duration like 500ms, 30s or 5m`},
		{"bad output", []string{"deploy", greet, "-o", "yaml"}, `Error: --output "yaml" is not supported: use table or json`},
		{"too many args", []string{"deploy", greet, "other"}, `Error: wrong number of arguments: expected [DIR], got 2`},
		{"missing dir", []string{"deploy", filepath.Join(greet, "nope"), "--name", "greet"}, `Error: ` + filepath.Join(greet, "nope") + ` does not exist: deploy takes a function's directory`},
		{"a file", []string{"deploy", filepath.Join(greet, "Dockerfile")},
			`Error: ` + filepath.Join(greet, "Dockerfile") + ` is a file: deploy needs a directory; for an image archive use --image-archive ` + filepath.Join(greet, "Dockerfile")},
		{"empty --name", []string{"deploy", greet, "--name", ""},
			`Error: --name: function name is empty: use 1-63 lowercase letters, digits or dashes, not starting or ending with a dash`},
		{"empty --name with an image", []string{"deploy", "--image", "nginx", "--name", ""}, `Error: --name: function name is empty: use 1-63 lowercase letters, digits or dashes, not starting or ending with a dash`},
		{"timeout 0s", []string{"deploy", greet, "--timeout", "0s"}, `Error: --timeout 0s is out of range 1s-15m`},
		{"timeout 1ns", []string{"deploy", greet, "--timeout", "1ns"}, `Error: --timeout 1ns is out of range 1s-15m`},
		{"timeout below a ms", []string{"deploy", greet, "--timeout", "1.0001s"}, `Error: --timeout 1.0001s is not a whole number of milliseconds`},
		{"env PORT", []string{"deploy", greet, "--env", "PORT=9000"},
			`Error: environment variable PORT is reserved: the platform sets it to the function's port: use --port (port: in lambda.yaml) to change it`},
		{"env LAMBDA_", []string{"deploy", greet, "--env", "LAMBDA_FUNCTION_NAME=x"},
			`Error: environment variable LAMBDA_FUNCTION_NAME is reserved: names starting with LAMBDA_ are set by the platform`},
		{"env too large", []string{"deploy", greet, "--env", "A=" + strings.Repeat("x", 4096)},
			`Error: environment is 4097 bytes (names and values): the limit is 4096; keep large values in files of the function`},
		{"verbose and quiet", []string{"deploy", greet, "-v", "-q"}, `Error: if any flags in the group [verbose quiet] are set none of the others can be; [quiet verbose] were all set`},
		{"server rejects upload", []string{"deploy", functionDir(t, "toolarge")}, `Packaging function code... Done.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, url, "", tt.args...)
			if code != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q", code, stdout)
			}
			if first, _, _ := strings.Cut(stderr, "\n"); first != tt.want {
				t.Errorf("stderr:\n%s\nwant first line:\n%s", stderr, tt.want)
			}
		})
	}
}

func TestDeployServerRejectsUploadShowsMessage(t *testing.T) {
	_, url := newFakeAPI(t)
	_, stderr, _ := runCLI(t, url, "", "deploy", functionDir(t, "toolarge"))
	want := "Packaging function code... Done.\nError: code archive is over the limit\n"
	if stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
}

func TestDeployUsageErrorShowsUsage(t *testing.T) {
	_, stderr, code := runCLI(t, "", "", "deploy", "--env", "FOO")
	want := `Error: --env "FOO" is invalid: use KEY=VALUE
Usage: lambda deploy [DIR] [flags]
Run 'lambda deploy --help' for more information.
`
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, stderr, want)
	}
}

func TestDropSeenTail(t *testing.T) {
	tests := []struct{ msg, seen, want string }{
		{"build failed\nA\nB", "x\nA\nB\n", "build failed"},
		{"build failed\nA\nB\n", "A\nB", "build failed"},
		{"build failed\nA\nC", "A\nB\n", "build failed\nA\nC"},
		{"build failed\nA", "", "build failed\nA"},
		{"build failed", "A\n", "build failed"},
	}
	for _, tt := range tests {
		if got := dropSeenTail(tt.msg, tt.seen); got != tt.want {
			t.Errorf("dropSeenTail(%q, %q) = %q, want %q", tt.msg, tt.seen, got, tt.want)
		}
	}
}
