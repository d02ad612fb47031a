package drivertest

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestFakeImageSuite(t *testing.T) {
	RunImages(t, func(t *testing.T) ImageEngine { return NewFake() })
}

func TestFakeNamespaces(t *testing.T) {
	engine := NewFake() // one engine, a view per namespace
	RunNamespaces(t, func(t *testing.T, namespace string) ImageEngine { return engine.WithNamespace(namespace) })
}

func TestFakeBuildRecordsConfig(t *testing.T) {
	f := NewFake()
	ctx := t.Context()
	_, err := f.BuildImage(ctx, lambda.BuildRequest{
		Context: bytes.NewReader(Tar(t, File{Name: "Dockerfile", Data: []byte(`FROM scratch
LABEL a=1 "b"="two words"
ENV PATH=/bin
ENV HOME /root
WORKDIR /app
WORKDIR sub
USER 1000
EXPOSE 8080/tcp 9090 53/udp
CMD ["serve"]
`)})),
		Tags:   []string{"base:v1"},
		Labels: map[string]string{"a": "from build"},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.BuildImage(ctx, lambda.BuildRequest{
		Context: bytes.NewReader(Tar(t, File{Name: "Dockerfile", Data: []byte("FROM base:v1\nENTRYPOINT /run.sh\nENV PATH=/usr/bin\n")})),
		Tags:    []string{"child:v1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	base, err := f.InspectImage(ctx, "base:v1")
	if err != nil {
		t.Fatal(err)
	}
	if base.WorkingDir != "/app/sub" || base.User != "1000" || !slices.Equal(base.Ports, []int{8080, 9090}) ||
		!slices.Equal(base.Cmd, []string{"serve"}) || base.Labels["a"] != "from build" || base.Labels["b"] != "two words" ||
		!slices.Equal(base.Env, []string{"PATH=/bin", "HOME=/root"}) {
		t.Errorf("base image = %+v", base)
	}
	child, err := f.InspectImage(ctx, "child:v1")
	if err != nil {
		t.Fatal(err)
	}
	// ENTRYPOINT resets the CMD inherited from the base, as in Docker.
	if !slices.Equal(child.Entrypoint, []string{"/bin/sh", "-c", "/run.sh"}) || child.Cmd != nil ||
		!slices.Equal(child.Env, []string{"HOME=/root", "PATH=/usr/bin"}) || child.WorkingDir != "/app/sub" || child.Labels["b"] != "two words" {
		t.Errorf("child image = %+v", child)
	}
}

func TestFakeImagesDown(t *testing.T) {
	f := NewFake()
	f.SetDown(true)
	ctx := t.Context()
	_, err1 := f.InspectImage(ctx, "x")
	_, err2 := f.ListImages(ctx)
	_, err3 := f.LoadImage(ctx, bytes.NewReader(nil), nil)
	for i, err := range []error{err1, err2, err3} {
		if lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
			t.Errorf("call %d while down: %v, want EUNAVAILABLE", i, err)
		}
	}
}

func TestValidTag(t *testing.T) {
	for tag, want := range map[string]bool{
		"busybox:latest": true, "example.com:5000/a/b:v1.2": true, "a": true,
		"Busybox:1": false, "a:b c": false, "a@sha256:x": false, "": false, "a:": false,
	} {
		if got := validTag(tag); got != want {
			t.Errorf("validTag(%q) = %v, want %v", tag, got, want)
		}
	}
}

// FuzzReadSaveArchive checks that the Fake refuses any input it cannot
// load with an EINVALID about the archive, and never panics.
func FuzzReadSaveArchive(f *testing.F) {
	archive, _ := ImageArchive(f, ArchiveImage{Tags: []string{"a:v1"}, Files: []File{{Name: "x", Data: []byte("x")}}})
	f.Add(archive)
	f.Add([]byte("garbage"))
	f.Add(Tar(f, File{Name: "manifest.json", Data: []byte(`[{"Config":"c.json","Layers":["l"]}]`)}, File{Name: "c.json", Data: []byte(`{"rootfs":{"diff_ids":["x"]}}`)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		imgs, err := readSaveArchive(bytes.NewReader(data))
		if err != nil {
			if lambda.ErrorCode(err) != lambda.EINVALID || !strings.HasPrefix(err.Error(), "not a docker save archive: ") {
				t.Fatalf("error %v is not an EINVALID about the archive", err)
			}
			return
		}
		for _, img := range imgs {
			if !strings.HasPrefix(img.meta.ID, "sha256:") || len(img.meta.ID) != 71 {
				t.Fatalf("loaded image with ID %q", img.meta.ID)
			}
		}
	})
}
