package runtimes

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/lambdahq/lambda"
)

// Roles of the images runtimes need, as lambda.BaseImage.Role reports them.
const (
	roleBase    = "base"    // the interpreter a runtime image starts from
	roleRuntime = "runtime" // base + shim + bootstrap, shared by a runtime's functions
	roleBuilder = "builder" // compiles Go functions and the shim
	roleShim    = "shim"    // the shim, under functions it wraps
)

// ListRuntimes implements lambda.RuntimeService: each runtime with the
// images it builds on and whether they are on the host.
func (r *Registry) ListRuntimes(ctx context.Context) ([]lambda.RuntimeInfo, error) {
	shim, err := r.shimImage()
	if err != nil {
		return nil, err
	}
	shimBase, err := r.shimBaseImage()
	if err != nil {
		return nil, err
	}
	pyImage, err := r.runtimeImage(python)
	if err != nil {
		return nil, err
	}
	nodeImage, err := r.runtimeImage(node)
	if err != nil {
		return nil, err
	}
	pyBase, nodeBase := r.baseInUse(ctx, python, pyImage), r.baseInUse(ctx, node, nodeImage)
	goDesc := "a Go main package: a server (http), a Go SDK function (handler) or an aws-lambda-go function (aws)"
	if r.HostGo != "" {
		goDesc += "; compiled with the host's Go toolchain when the builder image is missing"
	}
	infos := []lambda.RuntimeInfo{
		{Name: lambda.RuntimeDockerfile, Description: "a Dockerfile, built as is; with protocol aws or stdio its command runs behind the shim",
			Detects: []string{"Dockerfile"}, Protocol: lambda.ProtocolHTTP,
			Images: []lambda.BaseImage{{Name: shim, Role: roleShim}}},
		{Name: lambda.RuntimeGo, Description: goDesc,
			Detects: []string{"go.mod"}, Protocol: lambda.ProtocolHTTP,
			Images: []lambda.BaseImage{{Name: r.GoBuilderImage, Role: roleBuilder}, {Name: shimBase, Role: roleShim}}},
		{Name: lambda.RuntimePython, Description: "handler(event, context) in handler.py; requirements.txt installed at build time",
			Detects: []string{"handler.py"}, Protocol: lambda.ProtocolHandler,
			Images: []lambda.BaseImage{{Name: pyBase, Role: roleBase}, {Name: pyImage, Role: roleRuntime}}},
		{Name: lambda.RuntimeNode, Description: "exports.handler of index.js or handler.js, sync or async; package.json dependencies installed at build time",
			Detects: []string{"index.js", "handler.js"}, Protocol: lambda.ProtocolHandler,
			Images: []lambda.BaseImage{{Name: nodeBase, Role: roleBase}, {Name: nodeImage, Role: roleRuntime}}},
		{Name: lambda.RuntimeImage, Description: "a prebuilt image or a docker save archive; with protocol aws or stdio its command runs behind the shim",
			Detects: []string{}, Protocol: lambda.ProtocolHTTP,
			Images: []lambda.BaseImage{{Name: shim, Role: roleShim}}},
	}
	if r.Driver == nil {
		return infos, nil
	}
	for i := range infos {
		for j := range infos[i].Images {
			img := &infos[i].Images[j]
			if img.Present, err = r.Driver.ImageExists(ctx, img.Name); err != nil {
				return nil, err
			}
			img.Source = r.imageSource(ctx, img)
		}
		infos[i].Version = r.languageVersion(ctx, &infos[i])
	}
	return infos, nil
}

// baseInUse is the base image l's functions build on: the configured one
// when it is present, else the one assembled in its stead, as this process
// knows it or as the runtime image's label says.
func (r *Registry) baseInUse(ctx context.Context, l *language, runtimeRef string) string {
	ref := l.image(r)
	if r.Driver == nil {
		return ref
	}
	if ok, err := r.officialPresent(ctx, ref); err == nil && ok {
		return ref
	}
	if local := r.localOf(ref); local != "" {
		return local
	}
	if r.Images != nil {
		if img, err := r.Images.InspectImage(ctx, runtimeRef); err == nil && img.Labels[labelBaseImage] != "" {
			return img.Labels[labelBaseImage]
		}
	}
	return ref
}

// languageVersion is the version of the language info's functions run:
// what its base (or builder) image says, or the host's Go toolchain's.
func (r *Registry) languageVersion(ctx context.Context, info *lambda.RuntimeInfo) string {
	for _, img := range info.Images {
		if (img.Role == roleBase || img.Role == roleBuilder) && img.Present && r.Images != nil {
			if i, err := r.Images.InspectImage(ctx, img.Name); err == nil {
				if v := languageVersion(i, info.Name); v != "" {
					return v
				}
			}
		}
	}
	if info.Name == lambda.RuntimeGo {
		return hostGoVersion(r.HostGo)
	}
	return ""
}

// imageSource says where a present image came from, as far as the host
// and this process can tell.
func (r *Registry) imageSource(ctx context.Context, img *lambda.BaseImage) string {
	if !img.Present {
		return ""
	}
	if img.Role == roleShim || img.Role == roleRuntime {
		return sourceBuilt
	}
	if r.Images != nil {
		if info, err := r.Images.InspectImage(ctx, img.Name); err == nil && info.Labels[labelSource] == labelSourceDeb {
			return sourceDebian
		}
	}
	return r.sourceOf(img.Name)
}

// PrepareRuntimes implements lambda.RuntimeService: it makes every image
// the runtimes build on available, reporting a step per runtime. A runtime
// that fails does not stop the others; the error names each failure.
func (r *Registry) PrepareRuntimes(ctx context.Context, p lambda.Progress) error {
	if p == nil {
		p = nopProgress{}
	}
	if r.Driver == nil {
		return errNoDriver
	}
	// Every step needs the engine: say once that it is down.
	if err := r.Driver.Ping(ctx); err != nil {
		return err
	}
	out := progressWriter{p}
	steps := []struct {
		name, message string
		run           func() error
	}{
		{"go", "Go builder image " + r.GoBuilderImage, func() error { return r.prepareBuilder(ctx, out) }},
		{"shim", "Shim images", func() error { _, err := r.ensureShimBase(ctx, out); return err }},
		{"python", "Python runtime", func() error { _, err := r.ensureRuntime(ctx, python, out); return err }},
		{"node", "Node runtime", func() error { _, err := r.ensureRuntime(ctx, node, out); return err }},
	}
	var failed []string
	var first error
	for i, s := range steps {
		p.Step(i+1, len(steps), s.message)
		if err := s.run(); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.Log(fmt.Sprintf("%s: %s\n", s.name, lambda.ErrorMessage(err)))
			failed = append(failed, s.name+": "+lambda.ErrorMessage(err))
			if first == nil {
				first = err
			}
		}
	}
	if first == nil {
		return nil
	}
	code := lambda.ErrorCode(first)
	if code == lambda.EINTERNAL {
		return fmt.Errorf("prepare runtimes: %s: %w", strings.Join(failed, "; "), first)
	}
	return lambda.Errorf(code, "%d of %d runtime steps failed: %s", len(failed), len(steps), strings.Join(failed, "; "))
}

// prepareBuilder makes the Go builder image available; without it, Go
// builds fall back to the host's toolchain, which is fine when there is one.
func (r *Registry) prepareBuilder(ctx context.Context, out io.Writer) error {
	if r.GoBuilderImage == "" {
		fmt.Fprintln(out, "go: no builder image is configured; Go builds use the host toolchain")
		return nil
	}
	ok, why := r.builderAvailable(ctx, out)
	switch {
	case ok:
		fmt.Fprintf(out, "go: %s is present\n", r.GoBuilderImage)
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case r.HostGo != "":
		fmt.Fprintf(out, "go: %s is unavailable (%v); Go functions and the shim build with the host toolchain %s\n", r.GoBuilderImage, why, r.HostGo)
		return nil
	}
	return lambda.Errorf(lambda.EUNAVAILABLE, "the Go builder image %s is unavailable (%v) and the server host has no Go toolchain: "+
		"install Go on the server host (https://go.dev/dl/) or load the image (docker load)", r.GoBuilderImage, why)
}

type nopProgress struct{}

func (nopProgress) Step(int, int, string) {}
func (nopProgress) Log(string)            {}

// progressWriter passes output to Progress.Log.
type progressWriter struct{ p lambda.Progress }

func (w progressWriter) Write(b []byte) (int, error) {
	w.p.Log(string(b))
	return len(b), nil
}
