package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A contexts file edited by hand into valid JSON that is no valid context
// (an entry null, without a server, with a server that is no URL) never
// crashes a command: listing, completing and removing still work, and a
// command that would use the broken context says which and how to fix it.
func TestContextsFileHostile(t *testing.T) {
	for _, tc := range []struct{ name, file string }{
		{"null entry", `{"current":"a","contexts":{"a":null,"ok":{"server":"http://127.0.0.1:1"}}}`},
		{"no server", `{"current":"a","contexts":{"a":{},"ok":{"server":"http://127.0.0.1:1"}}}`},
		{"not a URL", `{"current":"a","contexts":{"a":{"server":"::nope"},"ok":{"server":"http://127.0.0.1:1"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			configDir := isolateCredentials(t)
			t.Setenv("LAMBDA_SERVER", "")
			t.Setenv("LAMBDA_CONTEXT", "")
			path := filepath.Join(configDir, "lambda", contextsFile)
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, code := runCLI(t, "", "", "context", "list")
			if code != 0 || !strings.Contains(stdout, "a *") || !strings.Contains(stdout, "ok ") {
				t.Errorf("context list: exit %d\n%s%s", code, stdout, stderr)
			}
			stdout, stderr, code = runCLI(t, "", "", "__complete", "context", "use", "")
			if code != 0 || !regexp.MustCompile(`(?m)^a(\t|$)`).MatchString(stdout) || !strings.Contains(stdout, "ok\thttp://127.0.0.1:1") {
				t.Errorf("__complete context use: exit %d\n%s%s", code, stdout, stderr)
			}
			// A command going to the broken context is refused before any request.
			_, stderr, code = runCLI(t, "", "", "list")
			if code == 0 || !strings.Contains(stderr, `context "a"`) || !strings.Contains(stderr, "lambda context rm a") {
				t.Errorf("list with the broken context current: exit %d, %q", code, stderr)
			}
			// It can be removed, and the other one used.
			if _, stderr, code = runCLI(t, "", "", "context", "rm", "a"); code != 0 {
				t.Fatalf("context rm a: exit %d, %s", code, stderr)
			}
			if _, stderr, code = runCLI(t, "", "", "context", "use", "ok"); code != 0 {
				t.Fatalf("context use ok: exit %d, %s", code, stderr)
			}
		})
	}
}

// The contexts file is refused while others may read or change it, or
// while others may write its directory (and so replace it with one naming
// their server and the user's key file); each refusal says the chmod.
func TestContextsFileModes(t *testing.T) {
	for _, tc := range []struct {
		file, dir os.FileMode
		want      string // "" accepted
	}{
		{0o600, 0o700, ""},
		{0o400, 0o700, ""},
		{0o600, 0o750, ""}, // others may list the names, not read the file
		{0o640, 0o700, "chmod 600"},
		{0o604, 0o700, "chmod 600"},
		{0o660, 0o700, "chmod 600"},
		{0o600, 0o770, "chmod 700"},
		{0o600, 0o757, "chmod 700"},
	} {
		t.Run(tc.file.String()+"_in_"+tc.dir.String(), func(t *testing.T) {
			configDir := isolateCredentials(t)
			t.Setenv("LAMBDA_SERVER", "")
			t.Setenv("LAMBDA_CONTEXT", "")
			dir := filepath.Join(configDir, "lambda")
			path := filepath.Join(dir, contextsFile)
			os.MkdirAll(dir, 0o700)
			if err := os.WriteFile(path, []byte(`{"contexts":{"a":{"server":"http://127.0.0.1:1"}}}`), 0o600); err != nil {
				t.Fatal(err)
			}
			os.Chmod(path, tc.file)
			os.Chmod(dir, tc.dir)
			t.Cleanup(func() { os.Chmod(dir, 0o700) })
			stdout, stderr, code := runCLI(t, "", "", "context", "list", "-q")
			if tc.want == "" {
				if code != 0 || stdout != "default\na\n" {
					t.Errorf("context list: exit %d, %q %q", code, stdout, stderr)
				}
				return
			}
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("context list: exit %d, %q; want a refusal with %q", code, stderr, tc.want)
			}
		})
	}
}

// A contexts file kept elsewhere and linked (a dotfiles repository) stays
// a link: a change is written to the file it points to.
func TestContextsFileSymlinkKept(t *testing.T) {
	configDir := isolateCredentials(t)
	t.Setenv("LAMBDA_CONTEXT", "")
	dotfiles := t.TempDir()
	target := filepath.Join(dotfiles, "contexts.json")
	if err := os.WriteFile(target, []byte(`{"contexts":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(configDir, "lambda", contextsFile)
	os.MkdirAll(filepath.Dir(link), 0o700)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, "", "", "context", "add", "prod", "--server", "https://lambda.example.com"); code != 0 {
		t.Fatalf("context add: %s", stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced by a file: %v %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(target)
	if !strings.Contains(string(b), "https://lambda.example.com") {
		t.Fatalf("the linked file was not written: %s", b)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o600 {
		t.Fatalf("the linked file's mode is %v", fi.Mode().Perm())
	}
}

// A context named on the command line (--context) is what the user asked
// for this command: its server, key and CA outrank the environment's
// LAMBDA_SERVER, LAMBDA_API_KEY and LAMBDA_CA_CERT (as docker --context
// outranks DOCKER_HOST), so an exported LAMBDA_SERVER never sends
// "lambda --context prod delete greet" to another server. Their flags
// still outrank it, and LAMBDA_CONTEXT, from the environment too, does not.
func TestContextFlagOutranksEnvironment(t *testing.T) {
	isolateCredentials(t)
	t.Setenv("LAMBDA_CONTEXT", "")
	cfg := &contextsConfig{Contexts: map[string]*contextEntry{
		"prod": {Server: "https://prod.example.com", APIKey: "lmb_prod", CACert: "/ca/prod.pem"},
	}}
	path, _ := contextsPath()
	if err := cfg.save(path); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LAMBDA_SERVER", "http://localhost:8080")
	t.Setenv("LAMBDA_API_KEY", "lmb_env")
	t.Setenv("LAMBDA_CA_CERT", "/env.pem")
	prod := connection{Context: "prod", Server: "https://prod.example.com", APIKey: "lmb_prod", CACert: "/ca/prod.pem", ContextServer: true}
	got, err := resolveConnection(connectionFlags{context: "prod", ctxSet: true})
	if err != nil || got != prod {
		t.Errorf("--context prod with LAMBDA_SERVER, LAMBDA_API_KEY and LAMBDA_CA_CERT set:\n %+v, %v\nwant\n %+v", got, err, prod)
	}
	got, err = resolveConnection(connectionFlags{context: "prod", ctxSet: true, apiKey: "lmb_flag", apiKeySet: true, caCert: "/flag.pem", caCertSet: true})
	if want := (connection{Context: "prod", Server: "https://prod.example.com", APIKey: "lmb_flag", CACert: "/flag.pem", ContextServer: true}); err != nil || got != want {
		t.Errorf("--context prod --api-key --ca-cert:\n %+v, %v\nwant\n %+v", got, err, want)
	}
	// A chosen context without a key: not the environment's (meant for
	// LAMBDA_SERVER's server), the key login saved for its URL.
	cfg.Contexts["vm"] = &contextEntry{Server: "https://vm.example.com"}
	if err := cfg.save(path); err != nil {
		t.Fatal(err)
	}
	credentials, _ := credentialsPath()
	if err := saveKey(credentials, "https://vm.example.com", savedKey{APIKey: "lmb_saved"}); err != nil {
		t.Fatal(err)
	}
	got, err = resolveConnection(connectionFlags{context: "vm", ctxSet: true})
	if want := (connection{Context: "vm", Server: "https://vm.example.com", APIKey: "lmb_saved", ContextServer: true}); err != nil || got != want {
		t.Errorf("--context vm (no key) with LAMBDA_API_KEY set:\n %+v, %v\nwant\n %+v", got, err, want)
	}
	t.Setenv("LAMBDA_CONTEXT", "prod")
	got, err = resolveConnection(connectionFlags{})
	if want := (connection{Context: "prod", Server: "http://localhost:8080", APIKey: "lmb_env", CACert: "/env.pem"}); err != nil || got != want {
		t.Errorf("LAMBDA_CONTEXT=prod with LAMBDA_SERVER:\n %+v, %v\nwant\n %+v", got, err, want)
	}
}

// lambda context use while the environment overrides what it sets (as
// docker context use warns of DOCKER_HOST): said on stderr, so the user
// knows why later commands still go elsewhere.
func TestContextUseWarnsOfEnvironment(t *testing.T) {
	isolateCredentials(t)
	t.Setenv("LAMBDA_SERVER", "")
	t.Setenv("LAMBDA_CONTEXT", "")
	for _, name := range []string{"prod", "staging"} {
		if _, stderr, code := runCLI(t, "", "", "context", "add", name, "--server", "https://"+name+".example.com"); code != 0 {
			t.Fatalf("context add: %s", stderr)
		}
	}
	if _, stderr, code := runCLI(t, "", "", "context", "use", "prod"); code != 0 || strings.Contains(stderr, "Warning") {
		t.Errorf("context use without overrides: exit %d, %q", code, stderr)
	}
	t.Setenv("LAMBDA_CONTEXT", "staging")
	if _, stderr, code := runCLI(t, "", "", "context", "use", "prod"); code != 0 || !strings.Contains(stderr, "Warning: LAMBDA_CONTEXT=staging is set") {
		t.Errorf("context use with LAMBDA_CONTEXT set: exit %d, %q", code, stderr)
	}
	t.Setenv("LAMBDA_CONTEXT", "")
	t.Setenv("LAMBDA_SERVER", "http://localhost:8080")
	if _, stderr, code := runCLI(t, "", "", "context", "use", "prod"); code != 0 || !strings.Contains(stderr, "Warning: LAMBDA_SERVER=http://localhost:8080 is set") {
		t.Errorf("context use with LAMBDA_SERVER set: exit %d, %q", code, stderr)
	}
}

// login and context writes replace the file at once (a temporary file
// renamed over it): a reader never sees half a file, the old inode keeps
// the old content (a hard link to it proves it was not truncated in
// place), no temporary file is left, and the mode is 0600 whatever the
// umask.
func TestPrivateFileWriteIsAtomic(t *testing.T) {
	configDir := isolateCredentials(t)
	t.Setenv("LAMBDA_CONTEXT", "")
	dir := filepath.Join(configDir, "lambda")
	path := filepath.Join(dir, contextsFile)
	os.MkdirAll(dir, 0o700)
	old := `{"contexts":{}}`
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "old")
	if err := os.Link(path, link); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	if _, stderr, code := runCLI(t, "", "", "context", "add", "prod", "--server", "https://prod.example.com"); code != 0 {
		t.Fatal(stderr)
	}
	if b, _ := os.ReadFile(link); string(b) != old {
		t.Errorf("the file was rewritten in place: the old inode holds %q", b)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "prod.example.com") {
		t.Errorf("not written: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left in %s: %v", dir, entries)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
}

// context list is where a user looks when LAMBDA_CONTEXT names a context
// that does not exist: it lists them, with the error as a warning.
func TestContextListWithUnknownContext(t *testing.T) {
	isolateCredentials(t)
	t.Setenv("LAMBDA_SERVER", "")
	t.Setenv("LAMBDA_CONTEXT", "")
	if _, stderr, code := runCLI(t, "", "", "context", "add", "prod", "--server", "https://prod.example.com"); code != 0 {
		t.Fatal(stderr)
	}
	t.Setenv("LAMBDA_CONTEXT", "prdo")
	stdout, stderr, code := runCLI(t, "", "", "context", "list")
	if code != 0 || !strings.Contains(stdout, "prod ") || strings.Contains(stdout, "*") || !strings.Contains(stderr, `Warning: context "prdo" (from LAMBDA_CONTEXT) does not exist`) {
		t.Errorf("context list with LAMBDA_CONTEXT=prdo: exit %d\n%s%s", code, stdout, stderr)
	}
	// Any other command still refuses it.
	if _, stderr, code := runCLI(t, "", "", "list"); code == 0 || !strings.Contains(stderr, `context "prdo" (from LAMBDA_CONTEXT) does not exist`) {
		t.Errorf("list with LAMBDA_CONTEXT=prdo: exit %d, %q", code, stderr)
	}
}
