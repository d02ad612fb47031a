package runtimes

import (
	"archive/tar"
	"context"
	"embed"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/lambdahq/lambda"
)

// bootstraps are the Runtime API clients of the handler runtimes.
//
//go:embed bootstrap/bootstrap.py bootstrap/bootstrap.js
var bootstraps embed.FS

// runtimeRecipe changes whenever the way runtime images are built changes.
const runtimeRecipe = "runtime recipe 1"

// taskRoot is where a handler function's code and dependencies go.
const taskRoot = "/var/task"

// language is a handler runtime's image recipe: a base image with the
// interpreter, the shim and our bootstrap make its runtime image, shared
// by all its functions, which add only their code and dependencies.
type language struct {
	name      string
	image     func(*Registry) string // the configured base image
	setting   string                 // the server setting naming it, for errors
	bootstrap string                 // in bootstraps
	command   []string               // runs the bootstrap
	env       []string               // KEY=VALUE set in the runtime image
	check     []string               // fails the build when the base image cannot run the bootstrap
	debian    debianImage
	// versionParts is how much of the version names an assembled base
	// image: 2 for python:3.11, 1 for node:18.
	versionParts int
}

// runtimeImage is the tag of l's runtime image.
func (r *Registry) runtimeImage(l *language) (string, error) {
	shim, err := r.shimImage()
	if err != nil {
		return "", err
	}
	boot, err := bootstraps.ReadFile(l.bootstrap)
	if err != nil {
		return "", fmt.Errorf("runtime %s: %w", l.name, err)
	}
	parts := [][]byte{[]byte(runtimeRecipe), []byte(shim), boot, []byte(l.image(r)), []byte(runtimeDockerfile(l, l.image(r), shim))}
	return "lambda-runtime-" + l.name + ":" + hashParts(parts...), nil
}

func runtimeDockerfile(l *language, base, shim string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "FROM %s\n", base)
	fmt.Fprintf(&b, "COPY --from=%s /shim %s\n", shim, shimPath)
	fmt.Fprintf(&b, "COPY %s /lambda/%s\n", filepath.Base(l.bootstrap), filepath.Base(l.bootstrap))
	fmt.Fprintf(&b, "RUN %s\n", execForm(l.check))
	fmt.Fprintf(&b, "ENV LAMBDA_TASK_ROOT=%s", taskRoot)
	for _, e := range l.env {
		b.WriteString(" " + e)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "WORKDIR %s\n", taskRoot)
	fmt.Fprintf(&b, "ENTRYPOINT %s\nCMD []\n", execForm(shimEntrypoint(lambda.ProtocolHandler, l.command...)))
	return b.String()
}

// ensureRuntime makes l's runtime image available, with its base image
// and the shim, and returns its tag. A runtime image built on an older
// version of the base image is rebuilt.
func (r *Registry) ensureRuntime(ctx context.Context, l *language, out io.Writer) (string, error) {
	configured := l.image(r)
	if !validRef(configured) {
		return "", lambda.Errorf(lambda.EUNAVAILABLE, "the %s base image %q is not a valid image reference: fix the server's %s setting", l.name, configured, l.setting)
	}
	base, err := r.ensureBase(ctx, l, out)
	if err != nil {
		return "", lambda.Errorf(lambda.EUNAVAILABLE, "the %s base image %s is not available: %w", l.name, configured, err)
	}
	shim, err := r.ensureShim(ctx, out)
	if err != nil {
		return "", err
	}
	ref, err := r.runtimeImage(l)
	if err != nil {
		return "", err
	}
	baseID := ""
	if r.Images != nil {
		img, err := r.Images.InspectImage(ctx, base)
		if err != nil {
			return "", fmt.Errorf("inspect %s: %w", base, err)
		}
		baseID = img.ID
	}
	p := r.probe(ref)
	if err := p.lock(ctx); err != nil {
		return "", err
	}
	defer p.unlock()
	current := func(ctx context.Context) (bool, error) { return r.runtimeCurrent(ctx, ref, baseID) }
	if ok, err := current(ctx); err != nil || ok {
		return ref, err
	}
	fmt.Fprintf(out, "runtime %s: building %s from %s\n", l.name, ref, base)
	labels := map[string]string{labelRole: roleRuntime, labelBaseImage: base, labelBaseID: baseID, labelImage: ref}
	err = r.build(ctx, ref, out, current, func() (io.ReadCloser, error) {
		boot, err := bootstraps.ReadFile(l.bootstrap)
		if err != nil {
			return nil, err
		}
		df := runtimeDockerfile(l, base, shim) + labelLine(labels)
		return streamTar(func(tw *tar.Writer) error {
			if err := addBytes(tw, "Dockerfile", []byte(df), 0o644); err != nil {
				return err
			}
			return addBytes(tw, filepath.Base(l.bootstrap), boot, 0o644)
		}, nil), nil
	})
	if err != nil {
		return "", err
	}
	p.source = sourceBuilt
	return ref, nil
}

// runtimeCurrent reports whether ref exists and was built on the base
// image with ID baseID ("" when it cannot be told).
func (r *Registry) runtimeCurrent(ctx context.Context, ref, baseID string) (bool, error) {
	ok, err := r.Driver.ImageExists(ctx, ref)
	if err != nil || !ok || baseID == "" || r.Images == nil {
		return ok, err
	}
	img, err := r.Images.InspectImage(ctx, ref)
	if err != nil {
		return false, fmt.Errorf("inspect %s: %w", ref, err)
	}
	return img.Labels[labelBaseID] == baseID, nil
}

// handlerDeps is how a function's dependencies get installed.
type handlerDeps struct {
	files []string // copied before installing, when not local
	run   []string // the install command, exec form
	local bool     // they refer to the function's own files: copy all first
}

// handlerContext is the build context of a handler function: its
// directory on top of the runtime image, dependencies installed into
// /var/task. Without local dependencies they are installed before the
// code is copied, so that the install layer is reused while they stay the
// same.
func handlerContext(dir, image, handler string, deps *handlerDeps) io.ReadCloser {
	var b strings.Builder
	fmt.Fprintf(&b, "FROM %s\n", image)
	// $ would be expanded by the builder; handlers are checked otherwise.
	env := fmt.Sprintf("ENV LAMBDA_HANDLER=%s\n", strings.ReplaceAll(handler, "$", `\$`))
	if deps != nil && !deps.local {
		fmt.Fprintf(&b, "COPY %s %s/\n", strings.Join(deps.files, " "), taskRoot)
		fmt.Fprintf(&b, "RUN %s\n", execForm(deps.run))
	}
	if deps != nil && deps.local {
		fmt.Fprintf(&b, "COPY . %s/\n", taskRoot)
		fmt.Fprintf(&b, "RUN %s\n", execForm(deps.run))
		// Last: the functions of a project differ only by their handler,
		// so they share every layer before this one (one install).
		b.WriteString(env)
	} else {
		// Before the code: a redeploy of new code finds this step in the
		// cache and runs only the COPY (each ENV step of Docker's builder
		// creates and commits a container). The functions of a project
		// still share the dependency install above. The marker lets the
		// driver write the code's layer itself (/var/task is root's, 0755).
		b.WriteString(env)
		fmt.Fprintf(&b, "%s\nCOPY . %s/\n", lambda.CodeLayerMarker, taskRoot)
	}
	df := b.String()
	skip := func(rel string, isDir bool) (bool, bool) {
		rel = filepath.ToSlash(rel)
		return rel == "Dockerfile" || rel == ".dockerignore", false
	}
	return streamTar(func(tw *tar.Writer) error {
		if err := addBytes(tw, "Dockerfile", []byte(df), 0o644); err != nil {
			return err
		}
		// The builder drops the files .dockerignore lists after reading
		// them, so COPY . leaves them out.
		if err := addBytes(tw, ".dockerignore", []byte("Dockerfile\n.dockerignore\n"), 0o644); err != nil {
			return err
		}
		return addDir(tw, dir, skip)
	}, nil)
}
