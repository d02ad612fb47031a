package runtimes

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Two servers preparing the same runtime at once on one engine (issue 7,
// defect 5): both succeed, the loser uses the winner's images, and no
// untagged image of ours is left behind. Each registry stands for a
// server: its own probes, its own Debian assembler. The base and runtime
// names are unique to the run, so the race really assembles and builds
// (twice) without touching the images other tests share.
func TestConcurrentPrepareInDocker(t *testing.T) {
	requireDocker(t)
	if err := NewDebian().Available(); err != nil {
		t.Fatalf("assembling needs apt: %v", err) // the runtime tests need it anyway
	}
	run := fmt.Sprintf("t%d", time.Now().UnixNano())
	danglingBefore := danglingOurs(t)
	var regs [2]*Registry
	for i := range regs {
		r, _ := dockerRegistry(t)
		r.BaseRepo = "lambda-base-" + run
		r.PythonImage = "lambda-absent-" + run + "/python:3"
		regs[i] = r
	}
	runtimeRef, err := regs[0].runtimeImage(python)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		out, _ := exec.Command("docker", "images", "-q", "--filter", "reference=lambda-base-"+run+"/*").Output()
		exec.Command("docker", "rmi", "-f", runtimeRef).Run()
		for _, id := range strings.Fields(string(out)) {
			exec.Command("docker", "rmi", "-f", id).Run()
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var refs [2]string
	var errs [2]error
	start := time.Now()
	for i, r := range regs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			refs[i], errs[i] = r.ensureRuntime(ctx, python, testProgressWriter{t, start, i})
		}()
	}
	wg.Wait()
	for i := range regs {
		if errs[i] != nil {
			t.Errorf("server %d: %v", i, errs[i])
		}
	}
	if refs[0] != runtimeRef || refs[1] != runtimeRef {
		t.Errorf("runtime images %q, want both %s", refs, runtimeRef)
	}
	base := regs[0].localOf(regs[0].PythonImage)
	if base == "" || base != regs[1].localOf(regs[1].PythonImage) || !strings.HasPrefix(base, "lambda-base-"+run+"/python:3.") {
		t.Errorf("base images %q and %q, want one lambda-base-%s/python:3.x-…", base, regs[1].localOf(regs[1].PythonImage), run)
	}
	if out := docker(t, nil, "images", "-q", "--filter", "reference=*/*:*-making-*", "--filter", "reference=*:*-making-*"); out != "" {
		t.Errorf("private names left: %s", out)
	}
	if left := newItems(danglingBefore, danglingOurs(t)); len(left) > 0 {
		t.Errorf("untagged images of ours left behind: %v", left)
	}
}

// danglingOurs lists the untagged base and runtime images on the engine:
// assembled ones (lambda.source) and built ones (lambda.role), not the
// functions' (other tests' SIGKILLed builds may leave those).
func danglingOurs(t *testing.T) []string {
	t.Helper()
	var ids []string
	for _, label := range []string{labelSource, labelRole} {
		out := docker(t, nil, "images", "-q", "--no-trunc", "--filter", "dangling=true", "--filter", "label="+label)
		ids = append(ids, strings.Fields(out)...)
	}
	return ids
}

func newItems(before, after []string) []string {
	seen := map[string]bool{}
	for _, id := range before {
		seen[id] = true
	}
	var out []string
	for _, id := range after {
		if !seen[id] {
			out = append(out, id)
		}
	}
	return out
}

// testProgressWriter logs a server's output with its time.
type testProgressWriter struct {
	t      *testing.T
	start  time.Time
	server int
}

func (w testProgressWriter) Write(b []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if len(line) > 200 {
			line = line[:200] + "..."
		}
		w.t.Logf("%6.1fs server %d: %s", time.Since(w.start).Seconds(), w.server, line)
	}
	return len(b), nil
}

// Two servers building the same shared image at once (the shim, a runtime
// image): each build differs a little, as a server with another CA bundle
// would, and both have looked the name up before either finishes.
func TestConcurrentBuildsInDocker(t *testing.T) {
	requireDocker(t)
	run := fmt.Sprintf("t%d", time.Now().UnixNano())
	ref := "lambda-concurrency-" + run + ":1"
	t.Cleanup(func() {
		out, _ := exec.Command("docker", "images", "-q", "--filter", "label=lambda.test="+run).Output()
		for _, id := range strings.Fields(string(out)) {
			exec.Command("docker", "rmi", "-f", id).Run()
		}
	})
	var looked sync.WaitGroup // both servers found ref missing
	looked.Add(2)
	var wg sync.WaitGroup
	var errs [2]error
	for i := range 2 {
		r, _ := dockerRegistry(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.ensureBuilt(context.Background(), ref, io.Discard, func() (io.ReadCloser, error) {
				looked.Done()
				looked.Wait()
				df := fmt.Sprintf("FROM scratch\nCOPY server /server\nLABEL lambda.test=%q lambda.role=test\n", run)
				return streamTar(func(tw *tar.Writer) error {
					if err := addBytes(tw, "Dockerfile", []byte(df), 0o644); err != nil {
						return err
					}
					return addBytes(tw, "server", []byte(fmt.Sprint(i)), 0o644)
				}, nil), nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("server %d: %v", i, err)
		}
	}
	all := docker(t, nil, "images", "-q", "--filter", "label=lambda.test="+run)
	if n := len(strings.Fields(all)); n != 1 {
		t.Errorf("%d images of the test left, want 1 (%s): %s", n, ref, all)
	}
	if out := docker(t, nil, "images", "-q", "--filter", "dangling=true", "--filter", "label=lambda.test="+run); out != "" {
		t.Errorf("untagged images left: %s", out)
	}
}
