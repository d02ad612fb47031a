package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// stubRuntimes backs a real API server in the runtimes command tests.
type stubRuntimes struct {
	infos []lambda.RuntimeInfo
	err   error
}

func (s *stubRuntimes) ListRuntimes(context.Context) ([]lambda.RuntimeInfo, error) {
	return s.infos, nil
}

func (s *stubRuntimes) PrepareRuntimes(ctx context.Context, p lambda.Progress) error {
	p.Step(1, 2, "Shim images")
	p.Step(2, 2, "Python runtime")
	p.Log("Get:1 http://deb.debian.org/debian bookworm/main amd64 python3 [26 kB]\n")
	p.Log("debian: importing lambda-base/python:3.11-debian12 (39 packages, 46 MB)\n")
	p.Log("runtime python: building lambda-runtime-python:0123 from lambda-base/python:3.11-debian12\nStep 1/8 : FROM lambda-base/python:3.11-debian12\n ---> 5d0da3dc9764\n")
	return s.err
}

func runtimesServer(t *testing.T, rt *stubRuntimes) string {
	t.Helper()
	s := lambdahttp.NewServer()
	s.Runtimes = rt
	t.Setenv("LAMBDA_API_KEY", withAdminKey(t, s))
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRuntimesList(t *testing.T) {
	url := runtimesServer(t, &stubRuntimes{infos: []lambda.RuntimeInfo{
		{Name: "python", Protocol: "handler", Version: "3.11.2", Images: []lambda.BaseImage{
			{Name: "lambda-base/python:3.11-debian12", Role: "base", Present: true},
			{Name: "lambda-runtime-python:0123456789ab", Role: "runtime"},
		}},
		{Name: "image", Protocol: "http"},
	}})
	stdout, stderr, code := runCLI(t, url, "", "runtimes")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	want := `NAME     VERSION   IMAGE                                ROLE      PRESENT
python   3.11.2    lambda-base/python:3.11-debian12     base      yes
python   3.11.2    lambda-runtime-python:0123456789ab   runtime   no
image    -         -                                    -         -
`
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	if stderr == "" {
		t.Error("no hint about the missing image on stderr")
	}

	stdout, _, code = runCLI(t, url, "", "runtimes", "-o", "json")
	var infos []lambda.RuntimeInfo
	if err := json.Unmarshal([]byte(stdout), &infos); code != 0 || err != nil || len(infos) != 2 || infos[0].Images[1].Role != "runtime" || infos[0].Version != "3.11.2" {
		t.Errorf("-o json: exit %d, %v, stdout %q", code, err, stdout)
	}
}

func TestRuntimesPrepare(t *testing.T) {
	url := runtimesServer(t, &stubRuntimes{})
	for _, tc := range []struct {
		name   string
		args   []string
		stdout string
		stderr string
	}{
		// One line per step, per action of the server, per build step.
		{"default", nil, "Runtimes are ready.\n", "[1/2] Shim images... Done.\n[2/2] Python runtime...\n" +
			"debian: importing lambda-base/python:3.11-debian12 (39 packages, 46 MB)\n" +
			"runtime python: building lambda-runtime-python:0123 from lambda-base/python:3.11-debian12\n" +
			"Step 1/8 : FROM lambda-base/python:3.11-debian12\n"},
		{"verbose", []string{"--verbose"}, "Runtimes are ready.\n", "[1/2] Shim images... Done.\n[2/2] Python runtime...\n" +
			"Get:1 http://deb.debian.org/debian bookworm/main amd64 python3 [26 kB]\n" +
			"debian: importing lambda-base/python:3.11-debian12 (39 packages, 46 MB)\n" +
			"runtime python: building lambda-runtime-python:0123 from lambda-base/python:3.11-debian12\n" +
			"Step 1/8 : FROM lambda-base/python:3.11-debian12\n ---> 5d0da3dc9764\n"},
		{"quiet", []string{"-q"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, url, "", append([]string{"runtimes", "prepare"}, tc.args...)...)
			if code != 0 || stdout != tc.stdout || stderr != tc.stderr {
				t.Errorf("exit %d\nstdout %q\nstderr %q\nwant   %q", code, stdout, stderr, tc.stderr)
			}
		})
	}

	// A failure shows the whole log of the step that failed.
	url = runtimesServer(t, &stubRuntimes{err: lambda.Errorf(lambda.EUNAVAILABLE, "1 of 4 runtime steps failed: node: no apt-get")})
	_, stderr, code := runCLI(t, url, "", "runtimes", "prepare")
	if code != 1 || !strings.Contains(stderr, "Error: 1 of 4 runtime steps failed: node: no apt-get") || !strings.Contains(stderr, "Get:1 http://deb.debian.org") {
		t.Errorf("failing prepare: exit %d, stderr %q", code, stderr)
	}
	if _, stderr, code := runCLI(t, url, "", "runtimes", "prepare", "-v", "-q"); code == 0 || !strings.Contains(stderr, "--verbose and --quiet") {
		t.Errorf("-v -q: exit %d, stderr %q", code, stderr)
	}
}
