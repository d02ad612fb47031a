package docker

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

func TestImageSuite(t *testing.T) {
	drivertest.RunImages(t, func(t *testing.T) drivertest.ImageEngine { return newTestDriver(t) })
}

// TestLoadDockerSave round-trips an image the driver built through the
// docker CLI's own `docker save`.
func TestLoadDockerSave(t *testing.T) {
	d := newTestDriver(t)
	docker, err := exec.LookPath("docker")
	if err != nil {
		drivertest.SkipOrFail(t, "the docker CLI is not installed: %v", err)
	}
	ctx := t.Context()
	tag := "drivertest-saved-" + randSuffix() + ":v1"
	id, err := d.BuildImage(ctx, lambda.BuildRequest{
		Context: bytes.NewReader(drivertest.TestImage(t)),
		Tags:    []string{tag},
		Labels:  map[string]string{"drivertest.image": tag},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = d.RemoveImage(ctx, tag)
		_ = d.RemoveImage(ctx, id)
	})
	file := filepath.Join(t.TempDir(), "image.tar")
	if out, err := exec.CommandContext(ctx, docker, "save", "-o", file, tag).CombinedOutput(); err != nil {
		t.Fatalf("docker save: %v\n%s", err, out)
	}
	if err := d.RemoveImage(ctx, tag); err != nil {
		t.Fatal(err)
	}
	if ok, _ := d.ImageExists(ctx, id); ok {
		t.Fatal("the image is still there after RemoveImage")
	}

	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	refs, err := d.LoadImage(ctx, f, &out)
	if err != nil {
		t.Fatalf("LoadImage: %v", err)
	}
	if !slices.Equal(refs, []string{tag}) || !strings.Contains(out.String(), "Loaded image: "+tag) {
		t.Errorf("LoadImage = %q, output %q; want [%s]", refs, out.String(), tag)
	}
	img, err := d.InspectImage(ctx, tag)
	if err != nil {
		t.Fatal(err)
	}
	if img.ID != id || !slices.Equal(img.Entrypoint, []string{"/server"}) || img.Labels["drivertest.image"] != tag {
		t.Errorf("InspectImage after the round trip = %+v, want ID %s", img, id)
	}
	list, err := d.ListImages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(list, func(i *lambda.Image) bool { return i.ID == id && slices.Contains(i.Tags, tag) }) {
		t.Errorf("ListImages does not list %s", tag)
	}
}

func TestImageCallsWithDockerDown(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent.sock")
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	archive, _ := drivertest.TestArchive(t, "down", "drivertest-down:v1")
	calls := map[string]func() error{
		"InspectImage": func() error { _, err := d.InspectImage(t.Context(), "x"); return err },
		"ListImages":   func() error { _, err := d.ListImages(t.Context()); return err },
		"LoadImage":    func() error { _, err := d.LoadImage(t.Context(), bytes.NewReader(archive), nil); return err },
	}
	for name, call := range calls {
		if err := call(); lambda.ErrorCode(err) != lambda.EUNAVAILABLE || !strings.Contains(err.Error(), "DOCKER_HOST") {
			t.Errorf("%s with Docker down: %v, want EUNAVAILABLE saying what to do", name, err)
		}
	}
}
