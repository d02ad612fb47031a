package main

import (
	"encoding/json"
	"strings"
	"testing"

	lambdahttp "github.com/lambdahq/lambda/http"
)

func TestVersionSkew(t *testing.T) {
	tests := []struct {
		client, server string
		warn           bool
	}{
		{"v1.2.3", "v1.2.9", false},
		{"v1.2.3", "v1.3.0", true},
		{"v2.0.0", "v1.9.0", true},
		{"dev", "v1.2.0", false},
		{"v1.2.0", "dev", false},
	}
	for _, tt := range tests {
		if got := versionSkew(tt.client, tt.server); (got != "") != tt.warn {
			t.Errorf("versionSkew(%s, %s) = %q, want a warning: %v", tt.client, tt.server, got, tt.warn)
		}
	}
}

func TestVersion(t *testing.T) {
	isolateCredentials(t)
	url, _ := fakeVersionServer(t, "v9.8.0", "lmb_k")
	stdout, stderr, code := runCLI(t, url, "", "version", "--api-key", "lmb_k")
	if code != 0 || !strings.Contains(stdout, "Client:\n Version:") || !strings.Contains(stdout, "Server: "+url+"\n Version:      v9.8.0\n Commit:       abc123") {
		t.Fatalf("version: exit %d\n%s%s", code, stdout, stderr)
	}
	var res versionResult
	stdout, _, code = runCLI(t, url, "", "version", "--api-key", "lmb_k", "-o", "json")
	if err := json.Unmarshal([]byte(stdout), &res); code != 0 || err != nil || res.Server == nil || res.Server.Version != "v9.8.0" || res.Client.GoVersion == "" {
		t.Fatalf("version -o json: exit %d, %v\n%s", code, err, stdout)
	}
	// The server unreachable or refusing: the client's part, then the error.
	stdout, stderr, code = runCLI(t, url, "", "version", "--api-key", "lmb_wrong")
	if code == 0 || !strings.Contains(stdout, "Client:") || strings.Contains(stdout, "Server:") || !strings.Contains(stderr, "the server's version is unknown") {
		t.Fatalf("version with a wrong key: exit %d\n%s%s", code, stdout, stderr)
	}
	// A client of another minor version than the server's is warned.
	clientBuild = func() lambdahttp.BuildInfo { return lambdahttp.BuildInfo{Version: "v9.7.2", GoVersion: "go1.26"} }
	defer func() { clientBuild = lambdahttp.Build }()
	stdout, stderr, code = runCLI(t, url, "", "version", "--api-key", "lmb_k")
	if code != 0 || !strings.Contains(stderr, "Warning: the client is v9.7.2 and the server v9.8.0: their major or minor versions differ") {
		t.Fatalf("version with a skew: exit %d\n%s%s", code, stdout, stderr)
	}

	// --version: the client alone, without a server.
	stdout, _, code = runCLI(t, "", "", "--version")
	if code != 0 || !strings.HasPrefix(stdout, "lambda version ") || !strings.Contains(stdout, "go1.") {
		t.Fatalf("--version: exit %d, %q", code, stdout)
	}
}
