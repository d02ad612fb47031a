package git_test

import (
	"bytes"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repo is a work tree whose commits are pushed to a bare repository that
// an http server on loopback serves (git http-backend, the smart protocol).
type repo struct {
	t    *testing.T
	work string
	bare string
	URL  string
}

func gitCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is not installed; CI needs it for these tests")
		}
		t.Skip("git is not installed")
	}
}

// newRepo creates an empty repository served at r.URL. auth, when set,
// guards the server (HTTP basic auth).
func newRepo(t *testing.T, auth func(*http.Request) bool) *repo {
	needGit(t)
	root := t.TempDir()
	r := &repo{t: t, work: filepath.Join(root, "work"), bare: filepath.Join(root, "srv", "app.git")}
	gitCmd(t, root, "init", "-q", "-b", "main", r.work)
	gitCmd(t, root, "init", "-q", "--bare", "-b", "main", r.bare)
	gitCmd(t, r.work, "remote", "add", "origin", r.bare)
	backend := filepath.Join(gitCmd(t, root, "--exec-path"), "git-http-backend")
	h := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + filepath.Join(root, "srv"), "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if auth != nil && !auth(req) {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/app.git"
	return r
}

// commit writes files (path → content; "" deletes) and commits them,
// pushing every branch and tag; it returns the commit's SHA.
func (r *repo) commit(files map[string]string) string {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.work, name)
		if content == "" {
			os.Remove(p)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	gitCmd(r.t, r.work, "add", "-A")
	gitCmd(r.t, r.work, "commit", "-q", "--allow-empty", "-m", "change")
	r.push()
	return gitCmd(r.t, r.work, "rev-parse", "HEAD")
}

func (r *repo) push() {
	r.t.Helper()
	gitCmd(r.t, r.work, "push", "-q", "--force", "--all", "origin")
	gitCmd(r.t, r.work, "push", "-q", "--force", "--tags", "origin")
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	return gitCmd(r.t, r.work, args...)
}

// silentURL is an http URL whose server accepts connections and never
// answers them.
func silentURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(done)
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String() + "/app.git"
}
