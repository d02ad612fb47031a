package deploy

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"

	"github.com/lambdahq/lambda/drivertest"
)

const workflowPath = "../.github/workflows/deploy.yml"

// lintWorkflow runs actionlint (with shellcheck on the run: scripts when the
// host has it) and returns its findings, formatted.
func lintWorkflow(t *testing.T, path string, content []byte) []string {
	t.Helper()
	opts := &actionlint.LinterOptions{Color: actionlint.ColorOptionKindNever}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = sc
	}
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, opts)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(path, content, nil)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range errs {
		found = append(found, e.Error())
	}
	return found
}

func TestWorkflowPassesActionlint(t *testing.T) {
	content, err := os.ReadFile(workflowPath)
	if err != nil {
		t.Fatal(err)
	}
	if errs := lintWorkflow(t, workflowPath, content); len(errs) > 0 {
		t.Fatalf("actionlint %s:\n%s", workflowPath, strings.Join(errs, "\n"))
	}

	// The same linter on broken copies: proof that it reads this file's
	// jobs and scripts, not just its YAML syntax.
	broken := []struct{ name, old, new string }{
		{"unknown job in needs", "needs: test", "needs: tests"},
		{"unknown runner key", "timeout-minutes: 15", "timeout-minute: 15"},
		{"undefined secret context", "${{ secrets.VM_HOST }}", "${{ secret.VM_HOST }}"},
	}
	for _, b := range broken {
		t.Run(b.name, func(t *testing.T) {
			if !bytes.Contains(content, []byte(b.old)) {
				t.Fatalf("the workflow no longer contains %q: update this test", b.old)
			}
			mutated := bytes.Replace(content, []byte(b.old), []byte(b.new), 1)
			if errs := lintWorkflow(t, "broken.yml", mutated); len(errs) == 0 {
				t.Fatalf("actionlint found nothing wrong after replacing %q with %q", b.old, b.new)
			}
		})
	}
}

// workflow is the part of the workflow file whose shape the tests check.
type workflow struct {
	On struct {
		Push struct {
			Branches []string `yaml:"branches"`
		} `yaml:"push"`
	} `yaml:"on"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Jobs map[string]struct {
		Needs any `yaml:"needs"`
		Steps []struct {
			Uses string `yaml:"uses"`
			Run  string `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func TestWorkflowShape(t *testing.T) {
	content, err := os.ReadFile(workflowPath)
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(content, &w); err != nil {
		t.Fatal(err)
	}
	pinned := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	runs := func(job string) string {
		var all []string
		for _, s := range w.Jobs[job].Steps {
			all = append(all, s.Run)
		}
		return strings.Join(all, "\n")
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"runs on a push to main", len(w.On.Push.Branches) == 1 && w.On.Push.Branches[0] == "main"},
		{"deploys never overlap (a concurrency group, not cancelled midway)", w.Concurrency.Group != "" && !w.Concurrency.CancelInProgress},
		{"deploy waits for the tests", w.Jobs["deploy"].Needs == "test"},
		{"tests run the README's test command", strings.Contains(runs("test"), "make test")},
		{"the binary is `make build`'s", strings.Contains(runs("deploy"), "make build") && strings.Contains(runs("deploy"), "bin/lambda")},
		{"the VM runs install.sh, which restarts the service", strings.Contains(runs("deploy"), "install.sh")},
		{"a health check follows", strings.Contains(runs("deploy"), "HEALTH_URL") && strings.Contains(string(content), "/healthz")},
		{"the host key is checked", strings.Contains(runs("deploy"), "StrictHostKeyChecking=yes")},
		{"no private key in the file", !regexp.MustCompile(`BEGIN [A-Z ]*PRIVATE KEY`).Match(content)},
	}
	for _, secret := range []string{"VM_HOST", "VM_USER", "VM_SSH_KEY", "VM_KNOWN_HOSTS"} {
		checks = append(checks, struct {
			name string
			ok   bool
		}{"secret " + secret + " is used by name", strings.Contains(string(content), "${{ secrets."+secret+" }}")})
	}
	for job, j := range w.Jobs {
		for _, s := range j.Steps {
			if s.Uses != "" {
				checks = append(checks, struct {
					name string
					ok   bool
				}{fmt.Sprintf("job %s: %s is pinned to a commit", job, s.Uses), pinned.MatchString(s.Uses)})
			}
		}
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: no", c.name)
		}
	}
}

// unit is a parsed systemd unit file: section → key → values, in order.
type unit map[string]map[string][]string

func readUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, section := unit{}, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: cannot read line %q", path, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

func (u unit) service(key string) string {
	v := u["Service"][key]
	if len(v) == 0 {
		return "<unset>"
	}
	return strings.Join(v, " ")
}

func TestUnitIsHardened(t *testing.T) {
	u := readUnit(t, "lambda.service")
	want := []struct{ key, value string }{
		{"User", "lambda"},
		{"SupplementaryGroups", "docker"},
		{"Restart", "on-failure"},
		{"StateDirectory", "lambda"},
		{"EnvironmentFile", "-/etc/lambda/lambda.env"},
		{"NoNewPrivileges", "yes"},
		{"ProtectSystem", "strict"},
		{"ProtectHome", "yes"},
		{"PrivateTmp", "yes"},
		{"PrivateDevices", "yes"},
		{"CapabilityBoundingSet", ""},
		{"AmbientCapabilities", ""},
		{"RestrictSUIDSGID", "yes"},
		{"ProtectKernelTunables", "yes"},
		{"ProtectKernelModules", "yes"},
		{"ProtectControlGroups", "yes"},
		{"RestrictNamespaces", "yes"},
		{"UMask", "0077"},
	}
	for _, w := range want {
		if got := u.service(w.key); got != w.value {
			t.Errorf("%s=%s, want %s=%s", w.key, got, w.key, w.value)
		}
	}
	// The data directory the server is given is the one systemd creates
	// and leaves writable under ProtectSystem=strict.
	if exec := u.service("ExecStart"); !strings.Contains(exec, " --data /var/lib/"+u.service("StateDirectory")) {
		t.Errorf("ExecStart=%s does not pass --data /var/lib/%s", exec, u.service("StateDirectory"))
	}
	if got := u["Install"]["WantedBy"]; len(got) != 1 || got[0] != "multi-user.target" {
		t.Errorf("WantedBy=%v, want multi-user.target", got)
	}
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// lambdaBinary builds ./cmd/lambda once for the package's tests.
func lambdaBinary(t *testing.T) string {
	t.Helper()
	goTool := drivertest.LookPath(t, "go")
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lambda-deploy-test-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "lambda")
		cmd := exec.Command(goTool, "build", "-o", binPath, "./cmd/lambda")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/lambda: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// The unit and lambda.env use only flags and variables the server has.
func TestUnitUsesRealServerFlags(t *testing.T) {
	out, err := exec.Command(lambdaBinary(t), "server", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("lambda server --help: %v\n%s", err, out)
	}
	help := string(out)

	u := readUnit(t, "lambda.service")
	args := strings.Fields(u.service("ExecStart"))
	if len(args) < 2 || args[0] != "/usr/local/bin/lambda" || args[1] != "server" {
		t.Fatalf("ExecStart=%s, want /usr/local/bin/lambda server ...", u.service("ExecStart"))
	}
	for _, a := range args[2:] {
		if name, _, _ := strings.Cut(a, "="); strings.HasPrefix(name, "-") && !strings.Contains(help, "  "+name+" ") && !strings.Contains(help, ", "+name+" ") {
			t.Errorf("ExecStart passes %s, which `lambda server --help` does not list", name)
		}
	}

	env, err := os.ReadFile("lambda.env")
	if err != nil {
		t.Fatal(err)
	}
	vars := regexp.MustCompile(`(?m)^#?(LAMBDA_[A-Z0-9_]+)=`).FindAllStringSubmatch(string(env), -1)
	if len(vars) == 0 {
		t.Fatal("lambda.env names no LAMBDA_ variable")
	}
	for _, v := range vars {
		if !strings.Contains(help, "env "+v[1]+")") {
			t.Errorf("lambda.env sets %s, which `lambda server --help` does not name", v[1])
		}
	}
}

// systemd-analyze checks the unit as systemd would load it, alone and with
// the drop-in docs/deploy-vm.md installs, and scores its sandbox.
func TestUnitVerifies(t *testing.T) {
	analyze := drivertest.LookPath(t, "systemd-analyze")
	src, err := os.ReadFile("lambda.service")
	if err != nil {
		t.Fatal(err)
	}
	// verify insists that ExecStart's binary exists: point it at a real one.
	unitText := strings.ReplaceAll(string(src), "/usr/local/bin/lambda", lambdaBinary(t))
	cases := []struct {
		name     string
		dropIns  []string
		exposure string // the most systemd-analyze security may score, in tenths
	}{
		{"the unit", nil, "20"},
		{"with low-ports.conf", []string{"low-ports.conf"}, "20"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "lambda.service"), []byte(unitText), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, d := range c.dropIns {
				b, err := os.ReadFile(d)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(filepath.Join(dir, "lambda.service.d"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "lambda.service.d", d), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// By name, from the unit path: that is how systemd finds
			// drop-ins (given a file's path, verify reads that file alone).
			run := func(args ...string) (string, error) {
				cmd := exec.Command(analyze, args...)
				cmd.Dir = t.TempDir()
				cmd.Env = append(os.Environ(), "SYSTEMD_UNIT_PATH="+dir+":")
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			// verify exits 0 on an unknown key or a bad value, but says
			// so: any output is a finding.
			if out, err := run("verify", "lambda.service"); err != nil || strings.TrimSpace(out) != "" {
				t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
			}
			// Exposure goes from 0 (locked down) to 10 (unsandboxed); the
			// threshold is in tenths. The unit scores 1.7.
			out, err := run("security", "--offline=true", "--threshold="+c.exposure, "--no-pager", "lambda.service")
			if err != nil {
				t.Fatalf("systemd-analyze security: %v\n%s", err, out)
			}
			if strings.Contains(out, "ignoring") {
				t.Fatalf("systemd-analyze security ignored a line:\n%s", out)
			}
		})
	}
}
