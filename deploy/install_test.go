package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda/drivertest"
)

func TestInstallScriptParses(t *testing.T) {
	bash := drivertest.LookPath(t, "bash")
	if out, err := exec.Command(bash, "-n", "install.sh").CombinedOutput(); err != nil {
		t.Fatalf("bash -n install.sh: %v\n%s", err, out)
	}
	// shellcheck is optional: the dry install below is the real test.
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Log("no shellcheck on this host: install.sh not linted")
		return
	}
	if out, err := exec.Command(sc, "install.sh").CombinedOutput(); err != nil {
		t.Fatalf("shellcheck install.sh: %v\n%s", err, out)
	}
}

// runInstall runs install.sh with args and returns its output and error.
func runInstall(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	bash := drivertest.LookPath(t, "bash")
	cmd := exec.Command(bash, append([]string{"install.sh"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func writeFakeBinary(t *testing.T, path, version string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho "+version+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestInstallScriptDryInstall(t *testing.T) {
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "lambda")
	writeFakeBinary(t, bin, "v1")
	unitSrc, err := os.ReadFile("lambda.service")
	if err != nil {
		t.Fatal(err)
	}
	envSrc, err := os.ReadFile("lambda.env")
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		env     []string
		args    []string
		root    string // the DESTDIR
		binDest string // where the binary lands, under root
	}{
		{"--destdir, default prefix", nil, []string{"--destdir", filepath.Join(tmp, "a"), bin}, filepath.Join(tmp, "a"), "/usr/local/bin/lambda"},
		{"DESTDIR env, --prefix", []string{"DESTDIR=" + filepath.Join(tmp, "b")}, []string{"--prefix=/opt/lambda", bin}, filepath.Join(tmp, "b"), "/opt/lambda/bin/lambda"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			writeFakeBinary(t, bin, "v1")
			if out, err := runInstall(t, c.env, c.args...); err != nil {
				t.Fatalf("install.sh: %v\n%s", err, out)
			}
			wantUnit := strings.ReplaceAll(string(unitSrc), "/usr/local/bin/lambda", c.binDest)
			files := []struct {
				path, content string
				mode          os.FileMode
			}{
				{c.binDest, "#!/bin/sh\necho v1\n", 0o755},
				{"/etc/systemd/system/lambda.service", wantUnit, 0o644},
				{"/etc/lambda/lambda.env", string(envSrc), 0o600},
			}
			check := func(when string) {
				t.Helper()
				for _, f := range files {
					p := filepath.Join(c.root, f.path)
					st, err := os.Stat(p)
					if err != nil {
						t.Errorf("%s: %v", when, err)
						continue
					}
					if st.Mode().Perm() != f.mode {
						t.Errorf("%s: %s has mode %v, want %v", when, f.path, st.Mode().Perm(), f.mode)
					}
					if got, _ := os.ReadFile(p); string(got) != f.content {
						t.Errorf("%s: %s holds\n%s\nwant\n%s", when, f.path, got, f.content)
					}
				}
				// Nothing but those three files (no leftover *.new).
				var all []string
				filepath.WalkDir(c.root, func(p string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						all = append(all, strings.TrimPrefix(p, c.root))
					}
					return err
				})
				if len(all) != len(files) {
					t.Errorf("%s: files under the root: %v, want the %d above", when, all, len(files))
				}
			}
			check("first install")
			if !strings.Contains(wantUnit, "ExecStart="+c.binDest+" server ") {
				t.Errorf("the installed unit does not start %s", c.binDest)
			}

			// An upgrade: a new binary replaces the old, the unit is the
			// same, and a lambda.env the admin edited is kept.
			writeFakeBinary(t, bin, "v2")
			edited := string(envSrc) + "LAMBDA_DOMAIN=example.com\n"
			if err := os.WriteFile(filepath.Join(c.root, "/etc/lambda/lambda.env"), []byte(edited), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := runInstall(t, c.env, c.args...)
			if err != nil {
				t.Fatalf("install.sh again: %v\n%s", err, out)
			}
			if !strings.Contains(out, "kept ") {
				t.Errorf("the second run does not say it kept lambda.env:\n%s", out)
			}
			files[0].content = "#!/bin/sh\necho v2\n"
			files[2].content = edited
			check("second install")
		})
	}
}

func TestInstallScriptRefusesBadInput(t *testing.T) {
	tmp := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing binary", []string{"--destdir", tmp, filepath.Join(tmp, "nothing")}, "make build"},
		{"unknown option", []string{"--destdir", tmp, "--force"}, "unknown option --force"},
		{"relative prefix", []string{"--destdir", tmp, "--prefix", "usr", "install.sh"}, "absolute path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := runInstall(t, nil, c.args...)
			if err == nil {
				t.Fatalf("install.sh %v succeeded:\n%s", c.args, out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("install.sh %v said %q, want it to mention %q", c.args, out, c.want)
			}
			if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
				t.Errorf("a refused install left files under %s: %v", tmp, entries)
			}
		})
	}
}
