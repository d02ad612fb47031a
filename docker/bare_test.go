package docker

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// catSource is the command of the RunOnce tests: it copies stdin to
// stdout, or fails with a message on stderr when its argument says so.
const catSource = `package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "fail" {
		fmt.Fprintln(os.Stderr, "boom: asked to fail")
		os.Exit(3)
	}
	io.Copy(os.Stdout, os.Stdin)
}
`

// catImage builds an image whose command is /cat: without stdin it exits
// at once.
func catImage(t *testing.T, d *Driver) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(catSource), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module cat\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", "cat", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("compile the cat command: %v\n%s", err, out)
	}
	bin, err := os.ReadFile(filepath.Join(dir, "cat"))
	if err != nil {
		t.Fatal(err)
	}
	tag := "bare-test-cat-" + randSuffix() + ":v1"
	ctx := drivertest.Tar(t,
		drivertest.File{Name: "Dockerfile", Data: []byte("FROM scratch\nCOPY cat /cat\nENTRYPOINT [\"/cat\"]\n")},
		drivertest.File{Name: "cat", Data: bin, Mode: 0o755},
	)
	id, err := d.BuildImage(t.Context(), lambda.BuildRequest{Context: strings.NewReader(string(ctx)), Tags: []string{tag}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.RemoveImage(context.Background(), tag) })
	return id
}

// bareDriver is a real driver whose containers carry a namespace of their
// own, so a test can check that none is left behind.
func bareDriver(t *testing.T) *Driver {
	d := newTestDriver(t)
	d.Namespace = "bare-test-" + randSuffix()
	return d
}

func requireNoContainers(t *testing.T, d *Driver) {
	t.Helper()
	left, err := d.ListInstances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range left {
		_ = d.StopInstance(context.Background(), in.ID, 0)
	}
	if len(left) > 0 {
		t.Errorf("%d containers left behind, want none", len(left))
	}
}

func TestColdStart(t *testing.T) {
	d := bareDriver(t)
	img := testImage(t, d)
	took, err := d.ColdStart(t.Context(), img, 8080)
	if err != nil {
		t.Fatal(err)
	}
	if took <= 0 || took > bareReadyTimeout {
		t.Errorf("cold start took %s, want a positive time under %s", took, bareReadyTimeout)
	}
	t.Logf("bare cold start: %s", took)
	requireNoContainers(t, d)
}

func TestColdStartGivesUpAndCleansUp(t *testing.T) {
	d := bareDriver(t)
	img := catImage(t, d)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// The command serves nothing and exits: the start never becomes ready,
	// which ColdStart must notice long before ctx ends.
	_, err := d.ColdStart(ctx, img, 8080)
	if lambda.ErrorCode(err) != lambda.EFUNCTION || !strings.Contains(err.Error(), "exited") {
		t.Errorf("cold start of a container that exits = %v, want EFUNCTION saying it exited", err)
	}
	requireNoContainers(t, d)
}

func TestRunOnce(t *testing.T) {
	d := bareDriver(t)
	img := catImage(t, d)
	for _, input := range []string{"", `{"hello":"world"}`, strings.Repeat("x", 200<<10)} {
		out, err := d.RunOnce(t.Context(), img, []string{"/cat"}, []byte(input))
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != input {
			t.Errorf("RunOnce echoed %d bytes (%.40q), want %d (%.40q)", len(out), out, len(input), input)
		}
	}
	requireNoContainers(t, d)
}

func TestRunOnceFailure(t *testing.T) {
	d := bareDriver(t)
	img := catImage(t, d)
	_, err := d.RunOnce(t.Context(), img, []string{"/cat", "fail"}, nil)
	if lambda.ErrorCode(err) != lambda.EFUNCTION || !strings.Contains(err.Error(), "status 3") || !strings.Contains(err.Error(), "boom: asked to fail") {
		t.Errorf("RunOnce of a failing command = %v, want EFUNCTION with the status and stderr", err)
	}
	if _, err := d.RunOnce(t.Context(), img, nil, nil); lambda.ErrorCode(err) != lambda.EINVALID {
		t.Errorf("RunOnce without a command = %v, want EINVALID", err)
	}
	requireNoContainers(t, d)
}

func TestServerVersion(t *testing.T) {
	d := newTestDriver(t)
	v, err := d.ServerVersion(t.Context())
	if err != nil || v == "" {
		t.Fatalf("ServerVersion = %q, %v", v, err)
	}
}
