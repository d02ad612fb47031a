package runtimes

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

type recordedProgress struct{ steps, logs []string }

func (p *recordedProgress) Step(n, total int, msg string) { p.steps = append(p.steps, msg) }
func (p *recordedProgress) Log(text string)               { p.logs = append(p.logs, text) }

// Without a registry and without a way to assemble, prepare still builds
// the shim, goes on past the failures and names each of them.
func TestPrepareRuntimesFailures(t *testing.T) {
	r := newTestRegistry(t, deadRegistry())
	var p recordedProgress
	err := r.PrepareRuntimes(context.Background(), &p)
	wantCode(t, err, lambda.EUNAVAILABLE)
	for _, part := range []string{"2 of 4 runtime steps failed",
		"python: the python base image python:3.12-slim is not available: cannot assemble python:3.12-slim: this server's container driver cannot import images",
		"node: the node base image node:22-slim is not available"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not contain %q", err, part)
		}
	}
	if len(p.steps) != 4 || !strings.Contains(strings.Join(p.logs, ""), "build with the host toolchain") {
		t.Errorf("steps %q, logs %q", p.steps, p.logs)
	}
	shim, _ := r.shimBaseImage()
	if !r.Driver.(*fakeDriver).images[shim] {
		t.Error("the shim base image was not built")
	}

	r.Importer = importerFunc(func() error { t.Fatal("imported without apt-get"); return nil })
	t.Setenv("PATH", t.TempDir())
	err = r.PrepareRuntimes(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "needs a Debian or Ubuntu server host with apt-get, apt-cache, dpkg, and this host has no apt-get") ||
		!strings.Contains(err.Error(), "docker save | docker load") {
		t.Errorf("error without apt-get: %v", err)
	}
}

type importerFunc func() error

func (f importerFunc) ImportImage(context.Context, io.Reader, string, []string) error { return f() }

func TestListRuntimes(t *testing.T) {
	r := presentRegistry(t)
	d := r.Driver.(*fakeDriver)
	r.Images = fakeImages{d: d}
	d.inspect = map[string]*lambda.Image{r.PythonImage: {Labels: map[string]string{labelSource: labelSourceDeb}}}
	delete(d.images, r.NodeImage)
	infos, err := r.ListRuntimes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	got := map[string]lambda.BaseImage{}
	for _, info := range infos {
		names = append(names, info.Name)
		for _, img := range info.Images {
			got[info.Name+"/"+img.Role] = img
		}
	}
	if strings.Join(names, ",") != "dockerfile,go,python,node,image" {
		t.Fatalf("runtimes %v", names)
	}
	if b := got["python/base"]; b.Name != "python:3.12-slim" || !b.Present || b.Source != sourceDebian {
		t.Errorf("python base %+v", b)
	}
	if b := got["node/base"]; b.Name != "node:22-slim" || b.Present || b.Source != "" {
		t.Errorf("node base %+v", b)
	}
	if b := got["python/runtime"]; !strings.HasPrefix(b.Name, "lambda-runtime-python:") || !b.Present || b.Source != sourceBuilt {
		t.Errorf("python runtime %+v", b)
	}
	if b := got["go/builder"]; b.Name != "golang:1.26" || b.Present {
		t.Errorf("go builder %+v", b)
	}
	if b := got["image/shim"]; !strings.HasPrefix(b.Name, "lambda-shim:") || !b.Present {
		t.Errorf("image shim %+v", b)
	}
}
