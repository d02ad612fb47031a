package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

// TestBuildCodeLayerAsTheBuilder: an image whose code's layer the driver
// writes (the marker) holds what the builder's COPY would have made — the
// same files, modes, owners and times, the same configuration and labels —
// and its build runs no builder step after the cached ones.
func TestBuildCodeLayerAsTheBuilder(t *testing.T) {
	d := newTestDriver(t)
	run := randSuffix()
	base := "FROM scratch\nWORKDIR /var/task\nENV X=1\nENTRYPOINT [\"/server\"]\n"
	files := []ctxEntry{
		{name: ".dockerignore", body: "Dockerfile\n.dockerignore\n"},
		{name: "handler.py", body: "print('" + run + "')\n"},
		{name: "lib/", typ: tar.TypeDir, mode: 0o750},
		{name: "lib/run.sh", body: "#!/bin/sh\n", mode: 0o755},
		{name: "lib/current", typ: tar.TypeSymlink, link: "run.sh"},
	}
	labels := map[string]string{lambda.LabelManaged: "true", lambda.LabelFunction: "codelayer-" + run, lambda.LabelVersion: "2"}
	build := func(tag, df string) (string, string) {
		t.Helper()
		var out bytes.Buffer
		id, err := d.BuildImage(t.Context(), lambda.BuildRequest{
			Context: bytes.NewReader(contextTar(t, append([]ctxEntry{{name: "Dockerfile", body: df}}, files...)...)),
			Tags:    []string{tag}, Labels: labels, Output: &out,
		})
		if err != nil {
			t.Fatalf("build %s: %v\n%s", tag, err, out.String())
		}
		t.Cleanup(func() { _ = d.RemoveImage(context.Background(), tag) })
		return id, out.String()
	}
	builderID, _ := build("drivertest-builder-"+run+":v2", base+"COPY . /var/task/\n")
	codeID, out := build("drivertest-codelayer-"+run+":v2", base+lambda.CodeLayerMarker+"\nCOPY . /var/task/\n")
	if !strings.Contains(out, "written by the server") || strings.Contains(out, "COPY . /var/task/\n ---> Running") {
		t.Errorf("the code's layer was not written by the driver; build output:\n%s", out)
	}

	builder, code := inspect(t, d, builderID), inspect(t, d, codeID)
	if code.ID != codeID {
		t.Errorf("BuildImage returned %s, the daemon has %s", codeID, code.ID)
	}
	for _, f := range []struct {
		name          string
		builder, code any
	}{
		{"Env", builder.Config.Env, code.Config.Env},
		{"Entrypoint", builder.Config.Entrypoint, code.Config.Entrypoint},
		{"Cmd", builder.Config.Cmd, code.Config.Cmd},
		{"WorkingDir", builder.Config.WorkingDir, code.Config.WorkingDir},
		{"User", builder.Config.User, code.Config.User},
		{"Labels", builder.Config.Labels, code.Config.Labels},
		{"layers", len(builder.RootFS.Layers), len(code.RootFS.Layers)},
		{"base layers", builder.RootFS.Layers[:len(builder.RootFS.Layers)-1], code.RootFS.Layers[:len(code.RootFS.Layers)-1]},
		{"OS", builder.Os + "/" + builder.Architecture, code.Os + "/" + code.Architecture},
	} {
		if fmt.Sprint(f.builder) != fmt.Sprint(f.code) {
			t.Errorf("%s: the builder's image has %v, the driver's %v", f.name, f.builder, f.code)
		}
	}
	if want, got := taskFiles(t, d, builderID), taskFiles(t, d, codeID); !slices.Equal(want, got) || len(want) != 5 {
		t.Errorf("/var/task:\nthe builder's image %q\nthe driver's       %q", want, got)
	}

	// The image before the code, with the labels but the version's, is
	// the function's (a server's restart or the function's delete removes
	// it) and is found in the cache by the next version's build.
	before, err := d.ListImagesByLabel(t.Context(), map[string]string{lambda.LabelFunction: labels[lambda.LabelFunction]})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range before {
		if img.ID != codeID && img.ID != builderID && img.Labels[lambda.LabelVersion] != "" {
			t.Errorf("the image before the code %s carries the version label: %v", img.ID, img.Labels)
		}
		t.Cleanup(func() { _ = d.RemoveImage(context.Background(), img.ID) })
	}
}

func inspect(t *testing.T, d *Driver, id string) client.ImageInspectResult {
	t.Helper()
	img, err := d.cli.ImageInspect(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// taskFiles lists /var/task of a container created (not started) from img:
// name, type, mode, owner, modification time of files, content.
func taskFiles(t *testing.T, d *Driver, img string) []string {
	t.Helper()
	ctx := t.Context()
	c, err := d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{Image: img})
	if err != nil {
		t.Fatal(err)
	}
	defer d.cli.ContainerRemove(context.Background(), c.ID, client.ContainerRemoveOptions{Force: true})
	res, err := d.cli.CopyFromContainer(ctx, c.ID, client.CopyFromContainerOptions{SourcePath: "/var/task"})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Content.Close()
	var out []string
	eachEntry(t, res.Content, func(h *tar.Header, body []byte) {
		mtime := ""
		if h.Typeflag != tar.TypeDir {
			mtime = h.ModTime.UTC().String()
		}
		out = append(out, fmt.Sprintf("%s %c %o %d:%d %s %s %q", h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, mtime, h.Linkname, body))
	})
	return out
}
