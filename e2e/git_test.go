package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gitServer is a `git daemon` on loopback serving the bare repositories
// under root, and a work tree per repository that pushes to them.
type gitServer struct {
	t    *testing.T
	root string
	port int
}

// startGitDaemon starts git daemon for the test; it stops with the test.
func startGitDaemon(t *testing.T) *gitServer {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is not installed: these tests need its daemon (add git to the machine's packages)")
	}
	g := &gitServer{t: t, root: t.TempDir(), port: freePort(t)}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "git", "daemon", "--export-all", "--reuseaddr", "--base-path="+g.root,
		"--listen=127.0.0.1", fmt.Sprintf("--port=%d", g.port), g.root)
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	// git daemon forks a child per connection: the whole group is killed,
	// and the wait for its output pipes is bounded.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("git daemon did not stop:\n%s", logs.String())
		}
	})
	waitFor(t, 30*time.Second, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", g.port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return g
}

// repo creates a repository name served by g and returns its work tree.
func (g *gitServer) repo(name string) string {
	bare := filepath.Join(g.root, name+".git")
	work := filepath.Join(g.t.TempDir(), name)
	g.git(g.root, "init", "-q", "--bare", "-b", "main", bare)
	g.git(g.root, "init", "-q", "-b", "main", work)
	g.git(work, "remote", "add", "origin", bare)
	return work
}

func (g *gitServer) url(name string) string {
	return fmt.Sprintf("git://127.0.0.1:%d/%s.git", g.port, name)
}

// commit commits everything in work and pushes branches and tags; it
// returns the commit's SHA.
func (g *gitServer) commit(work, msg string) string {
	g.git(work, "add", "-A")
	g.git(work, "commit", "-q", "-m", msg)
	g.git(work, "push", "-q", "--all", "origin")
	g.git(work, "push", "-q", "--tags", "origin")
	return g.git(work, "rev-parse", "HEAD")
}

func (g *gitServer) git(dir string, args ...string) string {
	g.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example.com", "GIT_COMMITTER_NAME=e2e",
		"GIT_COMMITTER_EMAIL=e2e@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// silentListener accepts connections and never answers them: a git
// server that hangs.
func silentListener(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 100)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for {
			select {
			case c := <-conns:
				c.Close()
			default:
				return
			}
		}
	})
	return "http://" + ln.Addr().String() + "/app.git"
}

// sendHook posts a push delivery to the hook, signed with secret ("": not
// signed); it returns the status and body.
func sendHook(t *testing.T, s *server, id, secret, delivery, ref, after string) (int, string) {
	t.Helper()
	body := fmt.Appendf(nil, `{"ref":%q,"before":"%s","after":%q,"repository":{"full_name":"e2e/app"}}`, ref, strings.Repeat("0", 40), after)
	req, err := http.NewRequest(http.MethodPost, s.url("/v1/hooks/"+id), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", delivery)
	if secret != "" {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// TestDeployFromGit deploys a function from a local git daemon at a tag,
// then registers a webhook: a signed push to the tracked branch redeploys
// the pushed commit, a repeated delivery does not deploy again, and
// unsigned, badly signed or other-branch deliveries deploy nothing. Bad
// sources (a server that never answers, a repository over the size limit,
// a missing ref) fail with a clear error and deploy nothing.
func TestDeployFromGit(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t, "LAMBDA_GIT_TIMEOUT=10s", "LAMBDA_GIT_MAX_BYTES=512KB")
	g := startGitDaemon(t)
	name := s.fn("gitfn")

	// A Go function (the fixture) whose lambda.yaml sets FIXTURE_TAG, in a
	// subdirectory of the repository.
	work := g.repo("app")
	copyDir(t, "testdata/fixture", filepath.Join(work, "fn"))
	writeFile(t, filepath.Join(work, "fn", "lambda.yaml"), "env:\n  FIXTURE_TAG: v1\n")
	writeFile(t, filepath.Join(work, "README.md"), "e2e\n")
	// What the subdir's .lambdaignore excludes is not deployed, as
	// lambda deploy DIR would not pack it: this file would fail the build.
	writeFile(t, filepath.Join(work, "fn", ".lambdaignore"), "broken.go\n")
	writeFile(t, filepath.Join(work, "fn", "broken.go"), "package main\n\nthis does not compile\n")
	c1 := g.commit(work, "v1")
	g.git(work, "tag", "-a", "-m", "release 1", "v1")
	g.git(work, "push", "-q", "--tags", "origin")
	writeFile(t, filepath.Join(work, "fn", "lambda.yaml"), "env:\n  FIXTURE_TAG: main-after-tag\n")
	g.commit(work, "after the tag")

	s.mustLambda("deploy", "--git", g.url("app"), "--ref", "v1", "--subdir", "fn", "--name", name)
	if e := decodeEcho(t, s.get(s.host(name), "/")); e.Env != "v1" {
		t.Fatalf("deployed at v1, the function says %+v", e)
	}
	var versions []struct {
		Number int
		Active bool
		Git    *struct{ Repository, Ref, Commit, Subdir string }
	}
	if err := json.Unmarshal([]byte(s.mustLambda("versions", name, "-o", "json").stdout), &versions); err != nil || len(versions) != 1 {
		t.Fatalf("versions: %v %+v", err, versions)
	}
	if p := versions[0].Git; p == nil || p.Commit != c1 || p.Ref != "v1" || p.Repository != g.url("app") || p.Subdir != "fn" {
		t.Fatalf("version 1's provenance: %+v, want commit %s at v1", p, c1)
	}
	if out := s.mustLambda("versions", name).stdout; !strings.Contains(out, c1[:12]) || !strings.Contains(out, "v1") {
		t.Errorf("lambda versions does not show the commit and ref:\n%s", out)
	}
	if out := s.mustLambda("describe", name).stdout; !strings.Contains(out, "fn/ at v1 ("+c1[:12]+")") {
		t.Errorf("lambda describe does not show the source:\n%s", out)
	}
	// The same commit again publishes nothing.
	if res := s.mustLambda("deploy", "--git", g.url("app"), "--ref", c1, "--subdir", "fn", "--name", name); !strings.Contains(res.stdout+res.stderr, "No changes") {
		t.Errorf("a redeploy of the same commit: %+v", res)
	}

	// A webhook on main: a signed push deploys the pushed commit.
	var hook struct {
		Hook   struct{ ID string }
		URL    string
		Secret string
	}
	res := s.mustLambda("project", "hook", name, "--git", g.url("app"), "--branch", "main", "--subdir", "fn", "-o", "json")
	if err := json.Unmarshal([]byte(res.stdout), &hook); err != nil || hook.Hook.ID == "" || len(hook.Secret) < 32 || !strings.HasSuffix(hook.URL, "/v1/hooks/"+hook.Hook.ID) {
		t.Fatalf("lambda project hook: %v %s", err, res.stdout)
	}
	writeFile(t, filepath.Join(work, "fn", "lambda.yaml"), "env:\n  FIXTURE_TAG: pushed\n")
	c3 := g.commit(work, "pushed")

	// Refused: no signature, a wrong one; ignored: another branch. None
	// deploys.
	if code, body := sendHook(t, s, hook.Hook.ID, "", "d-0", "refs/heads/main", c3); code != http.StatusUnauthorized || !strings.Contains(body, "X-Hub-Signature-256") {
		t.Errorf("unsigned delivery: %d %s", code, body)
	}
	if code, body := sendHook(t, s, hook.Hook.ID, "not-the-secret-0123456789", "d-0", "refs/heads/main", c3); code != http.StatusForbidden || !strings.Contains(body, "does not match") {
		t.Errorf("badly signed delivery: %d %s", code, body)
	}
	if code, body := sendHook(t, s, hook.Hook.ID, hook.Secret, "d-1", "refs/heads/dev", c3); code != http.StatusOK || !strings.Contains(body, "ignored") {
		t.Errorf("push to another branch: %d %s", code, body)
	}
	if e := decodeEcho(t, s.get(s.host(name), "/")); e.Env != "v1" {
		t.Fatalf("a refused or ignored delivery changed the function: %+v", e)
	}

	code, body := sendHook(t, s, hook.Hook.ID, hook.Secret, "d-2", "refs/heads/main", c3)
	var accepted struct {
		Accepted bool
		Delivery struct {
			DeployID string `json:"deploy_id"`
			Commit   string
		}
	}
	if err := json.Unmarshal([]byte(body), &accepted); err != nil || code != http.StatusAccepted || !accepted.Accepted || !strings.HasPrefix(accepted.Delivery.DeployID, "dep_") || accepted.Delivery.Commit != c3 {
		t.Fatalf("signed push: %d %s", code, body)
	}
	waitFor(t, 5*time.Minute, func() bool {
		_, body := s.request("GET", s.host(name), "/", nil)
		var e echoed
		return json.Unmarshal([]byte(body), &e) == nil && e.Env == "pushed"
	})
	var hooks []struct {
		ID   string
		Last *struct {
			Commit, Status string
			DeployID       string `json:"deploy_id"`
		} `json:"last_delivery"`
	}
	waitFor(t, time.Minute, func() bool {
		if err := json.Unmarshal([]byte(s.mustLambda("project", "hooks", "-o", "json").stdout), &hooks); err != nil {
			t.Fatal(err)
		}
		return len(hooks) == 1 && hooks[0].Last != nil && hooks[0].Last.Status == "deployed"
	})
	if l := hooks[0].Last; l.Commit != c3 || l.DeployID != accepted.Delivery.DeployID {
		t.Errorf("hook's last delivery: %+v", l)
	}
	// The same delivery again: answered with its deploy, not deployed again.
	code, body = sendHook(t, s, hook.Hook.ID, hook.Secret, "d-2", "refs/heads/main", c3)
	if code != http.StatusAccepted || !strings.Contains(body, "received before") || !strings.Contains(body, accepted.Delivery.DeployID) {
		t.Errorf("repeated delivery: %d %s", code, body)
	}
	if err := json.Unmarshal([]byte(s.mustLambda("versions", name, "-o", "json").stdout), &versions); err != nil || len(versions) != 2 {
		t.Fatalf("versions after the push: %v %+v", err, versions)
	}
	if p := versions[1].Git; !versions[1].Active || p == nil || p.Commit != c3 || p.Ref != "main" {
		t.Errorf("version 2: %+v, want the pushed commit %s of branch main active", versions[1], c3)
	}
	if out := s.mustLambda("project", "hooks").stdout; !strings.Contains(out, c3[:12]) || !strings.Contains(out, "deployed") {
		t.Errorf("lambda project hooks:\n%s", out)
	}
	s.mustLambda("project", "hook", "rm", hook.Hook.ID)
	if code, _ := sendHook(t, s, hook.Hook.ID, hook.Secret, "d-3", "refs/heads/main", c3); code != http.StatusNotFound {
		t.Errorf("delivery to a removed hook: %d", code)
	}

	// Bad sources: each a clear error; nothing is deployed.
	big := g.repo("big")
	noise := make([]byte, 1<<20)
	rand.Read(noise)
	writeFile(t, filepath.Join(big, "blob.bin"), string(noise))
	copyDir(t, "testdata/fixture", big)
	g.commit(big, "big")
	other := s.fn("gitbad")
	for _, tt := range []struct {
		what string
		args []string
		want string
	}{
		{"a server that never answers", []string{"--git", silentListener(t)}, "took longer than the limit of 10s"},
		{"a repository over the size limit", []string{"--git", g.url("big")}, "larger than the limit of 524288 bytes"},
		{"a missing ref", []string{"--git", g.url("app"), "--ref", "v9"}, `ref "v9" does not exist`},
		{"a missing directory", []string{"--git", g.url("app"), "--subdir", "nope"}, `directory "nope" does not exist`},
		{"a local path", []string{"--git", "file:///etc"}, "not supported"},
	} {
		res := s.lambda(append([]string{"deploy", "--name", other}, tt.args...)...)
		if res.code == 0 || !strings.Contains(res.stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want an error containing %q", tt.what, res.code, res.stderr, tt.want)
		}
	}
	if res := s.lambda("describe", other); res.code == 0 {
		t.Errorf("a failed deploy from git created %s:\n%s", other, res.stdout)
	}
	s.mustLambda("delete", name)
}

// TestDeployFromGitPrivate deploys from a private repository served over
// http (git http-backend on loopback) with a token: the deploy works, and
// the token is nowhere afterwards — not in the server's log, its data
// directory (database included) or the version's provenance. Without the
// token the deploy fails, saying to pass one.
func TestDeployFromGitPrivate(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	g := startGitDaemon(t) // for its repositories; served here over http
	work := g.repo("private")
	copyDir(t, "testdata/fixture", work)
	writeFile(t, filepath.Join(work, "lambda.yaml"), "env:\n  FIXTURE_TAG: private\n")
	commit := g.commit(work, "private")

	const token = "e2e-t0ken-4f9c2b7d1a"
	backend := filepath.Join(g.git(g.root, "--exec-path"), "git-http-backend")
	h := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + g.root, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pass, ok := r.BasicAuth(); !ok || pass != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	repoURL := srv.URL + "/private.git"
	name := s.fn("gitpriv")

	res := s.lambda("deploy", "--git", repoURL, "--name", name)
	if res.code == 0 || !strings.Contains(res.stderr, "--git-token") {
		t.Fatalf("without the token: exit %d, %s", res.code, res.stderr)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	writeFile(t, tokenFile, token+"\n")
	s.mustLambda("deploy", "--git", repoURL, "--git-token-file", tokenFile, "--name", name)
	if e := decodeEcho(t, s.get(s.host(name), "/")); e.Env != "private" {
		t.Fatalf("the function says %+v", e)
	}
	out := s.mustLambda("versions", name, "-o", "json").stdout
	if !strings.Contains(out, commit) || strings.Contains(out, token) {
		t.Errorf("versions: %s", out)
	}
	if strings.Contains(s.logs.String(), token) {
		t.Error("the token is in the server's log")
	}
	// A hook of the private repository clones with the token it keeps sealed.
	var hook struct {
		Hook   struct{ ID string }
		Secret string
	}
	res = s.mustLambda("project", "hook", name, "--git", repoURL, "--git-token-file", tokenFile, "-o", "json")
	if err := json.Unmarshal([]byte(res.stdout), &hook); err != nil || hook.Hook.ID == "" || strings.Contains(res.stdout, token) {
		t.Fatalf("lambda project hook: %v %s", err, res.stdout)
	}
	t.Cleanup(func() { s.lambda("project", "hook", "rm", hook.Hook.ID) })
	writeFile(t, filepath.Join(work, "lambda.yaml"), "env:\n  FIXTURE_TAG: private-pushed\n")
	pushed := g.commit(work, "pushed")
	if code, body := sendHook(t, s, hook.Hook.ID, hook.Secret, "priv-1", "refs/heads/main", pushed); code != http.StatusAccepted {
		t.Fatalf("signed push: %d %s", code, body)
	}
	waitFor(t, 5*time.Minute, func() bool {
		_, body := s.request("GET", s.host(name), "/", nil)
		return strings.Contains(body, "private-pushed")
	})
	if out := s.mustLambda("project", "hooks").stdout; strings.Contains(out, token) {
		t.Errorf("lambda project hooks shows the token:\n%s", out)
	}
	err := filepath.Walk(s.dataDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || !info.Mode().IsRegular() {
			return nil // files come and go while the server runs
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte(token)) {
			t.Errorf("the token is stored in %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.mustLambda("delete", name)
}

// TestProjectFromGit deploys a Node project (two handlers of one
// functions.js) from git, then a signed push to the hooked branch
// redeploys both functions from the pushed commit, all or nothing.
func TestProjectFromGit(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	g := startGitDaemon(t)
	project, api, hello := fnName(t, "gproj"), fnName(t, "gapi"), fnName(t, "ghello")
	for _, n := range []string{api, hello} {
		cleanupFunction(t, n)
	}
	t.Cleanup(func() {
		for _, n := range []string{api, hello} {
			s.lambda("delete", n)
		}
	})
	work := g.repo("proj")
	write := func(stage string) {
		writeFile(t, filepath.Join(work, "functions.js"), `exports.api = async () => ({ message: "api " + process.env.STAGE });
exports.hello = async () => ({ message: "hello " + process.env.STAGE });
`)
		writeFile(t, filepath.Join(work, "lambda.yaml"), "project: "+project+"\nruntime: node\nenv: {STAGE: "+stage+"}\nfunctions:\n"+
			"  "+api+":   {handler: functions.api}\n  "+hello+": {handler: functions.hello}\n")
	}
	write("one")
	c1 := g.commit(work, "one")

	s.mustLambda("deploy", "--git", g.url("proj"), "--name", project)
	for name, want := range map[string]string{api: "api one", hello: "hello one"} {
		if body := s.get(s.host(name), "/"); !strings.Contains(body, want) {
			t.Errorf("%s answers %s, want %q", name, body, want)
		}
		if out := s.mustLambda("versions", name).stdout; !strings.Contains(out, c1[:12]) {
			t.Errorf("versions of %s lack commit %s:\n%s", name, c1[:12], out)
		}
	}

	var hook struct {
		Hook   struct{ ID string }
		Secret string
	}
	res := s.mustLambda("project", "hook", project, "--git", g.url("proj"), "--branch", "main", "-o", "json")
	if err := json.Unmarshal([]byte(res.stdout), &hook); err != nil || hook.Hook.ID == "" {
		t.Fatalf("lambda project hook: %v %s", err, res.stdout)
	}
	t.Cleanup(func() { s.lambda("project", "hook", "rm", hook.Hook.ID) })
	write("two")
	c2 := g.commit(work, "two")
	if code, body := sendHook(t, s, hook.Hook.ID, hook.Secret, "p-1", "refs/heads/main", c2); code != http.StatusAccepted {
		t.Fatalf("signed push: %d %s", code, body)
	}
	for name, want := range map[string]string{api: "api two", hello: "hello two"} {
		waitFor(t, 5*time.Minute, func() bool {
			_, body := s.request("GET", s.host(name), "/", nil)
			return strings.Contains(body, want)
		})
		if out := s.mustLambda("versions", name).stdout; !strings.Contains(out, c2[:12]) {
			t.Errorf("versions of %s lack the pushed commit %s:\n%s", name, c2[:12], out)
		}
	}
}
