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
	p.Step(2, 2, "Python runtime on python:3.12-slim")
	p.Log("debian: importing python:3.12-slim (39 packages, 46 MB)\n")
	return s.err
}

func runtimesServer(t *testing.T, rt *stubRuntimes) string {
	t.Helper()
	s := lambdahttp.NewServer()
	s.Runtimes = rt
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRuntimesList(t *testing.T) {
	url := runtimesServer(t, &stubRuntimes{infos: []lambda.RuntimeInfo{
		{Name: "python", Protocol: "handler", Images: []lambda.BaseImage{
			{Name: "python:3.12-slim", Role: "base", Present: true},
			{Name: "lambda-runtime-python:0123456789ab", Role: "runtime"},
		}},
		{Name: "image", Protocol: "http"},
	}})
	stdout, stderr, code := runCLI(t, url, "", "runtimes")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	want := `NAME     IMAGE                                ROLE      PRESENT
python   python:3.12-slim                     base      yes
python   lambda-runtime-python:0123456789ab   runtime   no
image    -                                    -         -
`
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	if stderr == "" {
		t.Error("no hint about the missing image on stderr")
	}

	stdout, _, code = runCLI(t, url, "", "runtimes", "-o", "json")
	var infos []lambda.RuntimeInfo
	if err := json.Unmarshal([]byte(stdout), &infos); code != 0 || err != nil || len(infos) != 2 || infos[0].Images[1].Role != "runtime" {
		t.Errorf("-o json: exit %d, %v, stdout %q", code, err, stdout)
	}
}

func TestRuntimesPrepare(t *testing.T) {
	url := runtimesServer(t, &stubRuntimes{})
	stdout, stderr, code := runCLI(t, url, "", "runtimes", "prepare")
	wantErr := "[1/2] Shim images... Done.\n[2/2] Python runtime on python:3.12-slim...\ndebian: importing python:3.12-slim (39 packages, 46 MB)\n"
	if code != 0 || stdout != "Runtimes are ready.\n" || stderr != wantErr {
		t.Errorf("exit %d\nstdout %q\nstderr %q\nwant   %q", code, stdout, stderr, wantErr)
	}

	url = runtimesServer(t, &stubRuntimes{err: lambda.Errorf(lambda.EUNAVAILABLE, "1 of 4 runtime steps failed: node: no apt-get")})
	_, stderr, code = runCLI(t, url, "", "runtimes", "prepare")
	if code != 1 || !strings.Contains(stderr, "Error: 1 of 4 runtime steps failed: node: no apt-get") {
		t.Errorf("failing prepare: exit %d, stderr %q", code, stderr)
	}
}
