package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda/drivertest"
)

// TestKilledDuringBuild kills the server (SIGKILL) while it builds a
// Dockerfile function, with images an earlier kill left behind (built
// but never recorded, and a dangling one), and restarts it: the restart
// removes its temporary directories and its leftover images, not another
// server's, and the function deploys and deletes normally afterwards.
func TestKilledDuringBuild(t *testing.T) {
	requireDocker(t)
	if err := exec.Command("docker", "image", "inspect", "busybox:latest").Run(); err != nil {
		drivertest.SkipOrFail(t, "busybox:latest is not on the host: run scripts/base-images.sh")
	}
	t.Parallel()
	name := fnName(t, "killed-build")
	cleanupFunction(t, name)
	cleanupLabelled(t, name)
	s := startServer(t)
	ns := s.namespace()

	// What a kill after a build and before its version was recorded
	// leaves (too short a window to hit with a real kill), and the same
	// of another server, which must survive.
	orphans := []string{
		labelledImage(t, name, ns, "7", "func-"+name+":v7"),
		labelledImage(t, name, ns, "8", ""),
	}
	foreign := labelledImage(t, name, "other-"+runID, "1", "")

	marker := "e2e-build-" + name
	dir := t.TempDir()
	writeDockerfile(t, dir, "RUN echo "+marker+" && sleep 60\n")
	deploy := exec.Command(binary, "--server", s.url(""), "deploy", dir, "--name", name)
	deploy.Env = s.cliEnv()
	var out bytes.Buffer
	deploy.Stdout, deploy.Stderr = &out, &out
	if err := deploy.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Minute, func() bool { // the build's RUN step runs
		return strings.Contains(docker(t, "ps", "--no-trunc", "--format", "{{.Command}}"), marker)
	})
	if len(tempDirs(t, s)) == 0 {
		t.Fatalf("no lambda-* directory in %s during the deploy: the test would prove nothing", filepath.Join(s.dataDir, "tmp"))
	}
	s.kill()
	_ = deploy.Wait() // fails: the server is gone

	s.start()
	s.waitLog("reconciled containers and images", 2*time.Minute)
	if left := tempDirs(t, s); len(left) != 0 {
		t.Errorf("temporary directories left after the restart: %q", left)
	}
	if left := s.labelledImages(name); len(left) != 0 {
		t.Errorf("images of %s left after the restart: %q (orphans were %q)", name, left, orphans)
	}
	if got := docker(t, "images", "-q", "--no-trunc", "--filter", "label=lambda.server=other-"+runID, "--filter", "label=lambda.function="+name); got != foreign {
		t.Errorf("another server's image %s: listed as %q after the restart, want it untouched", foreign, got)
	}

	writeDockerfile(t, dir, "")
	s.mustLambda("deploy", dir, "--name", name)
	s.mustLambda("delete", name)
	if left := s.labelledImages(name); len(left) != 0 {
		t.Errorf("images of %s left after delete: %q", name, left)
	}
}

// writeDockerfile writes a busybox HTTP function whose build runs steps.
func writeDockerfile(t *testing.T, dir, steps string) {
	t.Helper()
	df := "FROM busybox:latest\n" + steps + "CMD [\"sh\", \"-c\", \"exec httpd -f -p ${PORT:-8080} -h /tmp\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
}

// labelledImage builds an image labelled as a version of function built
// by server namespace ns, tagged tag ("" leaves it dangling once built),
// and returns its ID.
func labelledImage(t *testing.T, function, ns, version, tag string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox:latest\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"build", "-q", "--label", "lambda.managed=true", "--label", "lambda.function=" + function,
		"--label", "lambda.version=" + version, "--label", "lambda.server=" + ns}
	if tag != "" {
		args = append(args, "-t", tag)
	}
	// stdout only: the CLI warns on stderr that the legacy builder is
	// deprecated.
	out, err := exec.Command("docker", append(args, dir)...).Output()
	if err != nil {
		t.Fatalf("docker build: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// tempDirs lists the lambda-* directories in the server's temporary
// directory.
func tempDirs(t *testing.T, s *server) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(s.dataDir, "tmp", "lambda-*"))
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}
