package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDeployGit(t *testing.T) {
	api, url := newFakeAPI(t)
	api.add("greet", 1, time.Now())
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("tok-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, url, "", "deploy", "--git", "https://example.com/acme/Greet.git", "--ref", "v1", "--git-token-file", tokenFile, "--env", "K=v")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	api.mu.Lock()
	req, source := api.lastDeploy, api.lastSource
	api.mu.Unlock()
	if source != "git" || req.Git == nil || req.Git.URL != "https://example.com/acme/Greet.git" || req.Git.Ref != "v1" || req.Git.Token != "tok-from-file" || req.Config.Env["K"] != "v" {
		t.Errorf("deploy reached the server as %+v (git %+v, source %s)", req, req.Git, source)
	}
	if _, ok := api.functions["greet"]; !ok {
		t.Errorf("the name is not the repository's: %v", api.functions)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"deploy", "--git", "https://h/r.git", "."}, "leave out DIR"},
		{[]string{"deploy", "--git", "https://h/r.git", "--image", "nginx"}, "different sources"},
		{[]string{"deploy", "--git", "https://h/r.git", "--git-token", "a", "--git-token-file", tokenFile}, "use one"},
		{[]string{"deploy", "--git", "https://h/r.git", "--only", "api"}, "--only, --prune and --prefix"},
		{[]string{"deploy", "--git", "file:///srv/r.git", "--name", "x"}, "not supported"},
		{[]string{"deploy", "--git", "https://h/My_Repo.git"}, "give one with --name"},
		{[]string{"deploy", "--git", "http://example.com/r.git", "--git-token", "t", "--name", "x"}, "only over https"},
	} {
		_, stderr, code := runCLI(t, url, "", tt.args...)
		if code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tt.args, code, stderr, tt.want)
		}
	}
}
