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
	for _, ref := range []string{base, runtimeRef} {
		if left := dangling(t, ref); len(left) > 0 {
			t.Errorf("untagged copies of %s left behind: %v", ref, left)
			exec.Command("docker", append([]string{"rmi"}, left...)...).Run()
		}
	}
}

// dangling lists the untagged images made for ref (labelImage): copies a
// race left behind. Other runs on the engine never make these names.
func dangling(t *testing.T, ref string) []string {
	t.Helper()
	out := docker(t, nil, "images", "-q", "--no-trunc", "--filter", "dangling=true", "--filter", "label="+labelImage+"="+ref)
	return strings.Fields(out)
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
// would, and both have looked the name up before either finishes. The
// interleavings are forced: "in turn", both find the name missing after
// their build and tag it one after the other, the first having finished
// before the second tags (tagging is no compare-and-swap); "reuse", the
// second finds the first's image when its build ends.
func TestConcurrentBuildsInDocker(t *testing.T) {
	requireDocker(t)
	for _, tc := range []struct {
		name   string
		inTurn bool
	}{{"in turn", true}, {"reuse", false}} {
		t.Run(tc.name, func(t *testing.T) {
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
			firstDone := make(chan struct{})    // server 0's ensureBuilt returned
			secondLooked := make(chan struct{}) // server 1 checked ref after its build
			var wg sync.WaitGroup
			var errs [2]error
			for i := range 2 {
				r, d := dockerRegistry(t)
				rd := &raceDriver{cliDriver: d, ref: ref}
				if i == 0 && tc.inTurn {
					rd.beforeTag = func() { <-secondLooked }
				}
				if i == 1 {
					rd.beforeCheck = func(n int) {
						if n == 2 && !tc.inTurn {
							<-firstDone
						}
					}
					rd.afterCheck = func(n int) {
						if n == 2 {
							close(secondLooked)
						}
					}
					rd.beforeTag = func() { <-firstDone }
				}
				r.Driver, r.Images, r.Tagger = rd, rd, rd
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = r.ensureBuilt(context.Background(), ref, io.Discard, func() (io.ReadCloser, error) {
						looked.Done()
						looked.Wait()
						df := fmt.Sprintf("FROM scratch\nCOPY server /server\nLABEL lambda.test=%q lambda.role=test %s=%q\n", run, labelImage, ref)
						return streamTar(func(tw *tar.Writer) error {
							if err := addBytes(tw, "Dockerfile", []byte(df), 0o644); err != nil {
								return err
							}
							return addBytes(tw, "server", []byte(fmt.Sprint(i)), 0o644)
						}, nil), nil
					})
					if i == 0 {
						close(firstDone)
					}
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
		})
	}
}

// raceDriver lets a test order two servers' lookups and tags of one image.
type raceDriver struct {
	cliDriver
	ref                     string
	mu                      sync.Mutex
	checks                  int
	beforeCheck, afterCheck func(n int) // around the n-th lookup of ref
	beforeTag               func()
}

func (d *raceDriver) ImageExists(ctx context.Context, ref string) (bool, error) {
	if ref != d.ref {
		return d.cliDriver.ImageExists(ctx, ref)
	}
	d.mu.Lock()
	d.checks++
	n := d.checks
	d.mu.Unlock()
	if d.beforeCheck != nil {
		d.beforeCheck(n)
	}
	ok, err := d.cliDriver.ImageExists(ctx, ref)
	if d.afterCheck != nil {
		d.afterCheck(n)
	}
	return ok, err
}

func (d *raceDriver) TagImage(ctx context.Context, source, target string) error {
	if d.beforeTag != nil {
		d.beforeTag()
	}
	return d.cliDriver.TagImage(ctx, source, target)
}
