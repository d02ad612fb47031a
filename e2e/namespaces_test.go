package e2e

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestNamespacesShareOneEngine runs two servers on one Docker engine, both
// with a function of the same name, and restarts one after a crash: the
// other's containers and images survive, the restarted one re-adopts its
// own container, and deleting the function on one leaves the other's be.
func TestNamespacesShareOneEngine(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	name := fnName(t, "ns")
	// Registered first, run last: once the servers' containers are gone.
	cleanupFunction(t, name)
	cleanupLabelled(t, name)
	a, b := startServer(t), startServer(t)
	img := fixtureImage(t)
	a.mustLambda("deploy", "--image", img, "--name", name)
	// B's build takes the tag func-NAME:v1 over from A's image.
	b.mustLambda("deploy", "--image", img, "--name", name)
	containersA, containersB := a.containers(name, false), b.containers(name, false)
	imagesA, imagesB := a.labelledImages(name), b.labelledImages(name)
	if len(containersA) != 1 || len(containersB) != 1 || len(imagesA) != 1 || len(imagesB) != 1 || imagesA[0] == imagesB[0] {
		t.Fatalf("after deploying on both: A has containers %q and images %q, B %q and %q; want one each, distinct images", containersA, imagesA, containersB, imagesB)
	}

	a.kill()
	a.start()
	a.waitLog("reconciled containers and images", time.Minute)

	if got := a.containers(name, true); !slices.Equal(got, containersA) {
		t.Errorf("after A's restart A has containers %q, want its own %q re-adopted", got, containersA)
	}
	if got := b.containers(name, true); !slices.Equal(got, containersB) {
		t.Errorf("A's restart changed B's containers: %q, want %q", got, containersB)
	}
	if got := a.labelledImages(name); !slices.Equal(got, imagesA) {
		t.Errorf("A's restart changed its images: %q, want %q (its version's image, though untagged)", got, imagesA)
	}
	if got := b.labelledImages(name); !slices.Equal(got, imagesB) {
		t.Errorf("A's restart changed B's images: %q, want %q", got, imagesB)
	}
	for _, s := range []*server{a, b} {
		resp, body := s.request("GET", s.host(name), "/", nil)
		if resp.StatusCode != 200 || resp.Header.Get("X-Lambda-Cold-Start") != "false" {
			t.Errorf("request after A's restart: %d, cold start %q, want 200 from the running instance: %s", resp.StatusCode, resp.Header.Get("X-Lambda-Cold-Start"), body)
		}
	}

	a.mustLambda("delete", name)
	if got := a.labelledImages(name); len(got) != 0 {
		t.Errorf("after A's delete, A's images %q are left", got)
	}
	if got := b.labelledImages(name); !slices.Equal(got, imagesB) {
		t.Errorf("A's delete changed B's images: %q, want %q", got, imagesB)
	}
	if resp, body := b.request("GET", b.host(name), "/", nil); resp.StatusCode != 200 {
		t.Errorf("B's function after A deleted its own of the same name: %d %s", resp.StatusCode, body)
	}
}

// labelledImages lists the IDs of the images of function labelled with
// s's namespace, dangling ones included.
func (s *server) labelledImages(function string) []string {
	s.t.Helper()
	ns := s.namespace()
	if ns == "" {
		s.t.Fatal("the server has no namespace (server-id) yet")
	}
	out := docker(s.t, "images", "-q", "--no-trunc", "--filter", "label=lambda.server="+ns, "--filter", "label=lambda.function="+function)
	ids := strings.Fields(out)
	slices.Sort(ids)
	return slices.Compact(ids)
}

// waitLog waits until the server's log holds text.
func (s *server) waitLog(text string, within time.Duration) {
	s.t.Helper()
	for deadline := time.Now().Add(within); !strings.Contains(s.logs.String(), text); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			s.t.Fatalf("the server did not log %q within %s:\n%s", text, within, s.logs.String())
		}
	}
}

// cleanupLabelled removes, when the test ends, the images labelled with
// function (any server's: names are unique to the run), dangling ones
// that cleanupFunction cannot find by name included.
func cleanupLabelled(t *testing.T, function string) {
	t.Cleanup(func() {
		ids := docker(t, "images", "-q", "--filter", "label=lambda.function="+function)
		if ids != "" {
			_ = exec.Command("docker", append([]string{"rmi", "-f"}, strings.Fields(ids)...)...).Run()
		}
	})
}
