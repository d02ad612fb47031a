package runtimes

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// builderProbe remembers a failed pull of the builder image. Its one-slot
// semaphore makes concurrent deploys wait for one pull instead of each
// starting their own, while still honouring their contexts.
type builderProbe struct {
	sem      chan struct{}
	failedAt time.Time
	failErr  error
	now      func() time.Time
}

func newBuilderProbe() builderProbe {
	return builderProbe{sem: make(chan struct{}, 1), now: time.Now}
}

// builderAvailable reports whether the builder image is present locally,
// pulling it unless a pull failed within PullRetryAfter. When it is not
// available the error says why.
func (r *Registry) builderAvailable(ctx context.Context, out io.Writer) (bool, error) {
	if r.Driver == nil {
		return false, errors.New("no container engine is configured")
	}
	p := &r.builder
	select {
	case p.sem <- struct{}{}:
		defer func() { <-p.sem }()
	case <-ctx.Done():
		return false, ctx.Err()
	}
	ok, err := r.Driver.ImageExists(ctx, r.GoBuilderImage)
	if err != nil {
		return false, fmt.Errorf("cannot look it up: %w", err)
	}
	if ok {
		return true, nil
	}
	if !p.failedAt.IsZero() && p.now().Sub(p.failedAt) < r.PullRetryAfter {
		return false, fmt.Errorf("not present, and pulling it failed %s ago: %w", p.now().Sub(p.failedAt).Round(time.Second), p.failErr)
	}
	fmt.Fprintf(out, "runtime go: pulling the builder image %s\n", r.GoBuilderImage)
	if err := r.Driver.PullImage(ctx, r.GoBuilderImage, out); err != nil {
		if ctx.Err() == nil { // a cancelled deploy says nothing about the registry
			p.failedAt, p.failErr = p.now(), err
		}
		return false, fmt.Errorf("not present, and pulling it failed: %w", err)
	}
	p.failedAt, p.failErr = time.Time{}, nil
	return true, nil
}

// builderContext is the function directory plus a multi-stage Dockerfile
// that compiles it in image and copies the binary into an empty image.
// The directory's own Dockerfile and .dockerignore, if any, are left out:
// this is a Go build, not theirs.
func builderContext(dir, image string) (io.ReadCloser, error) {
	if image == "" || strings.ContainsAny(image, " \t\r\n") {
		// A newline would inject Dockerfile instructions.
		return nil, lambda.Errorf(lambda.EUNAVAILABLE, "the Go builder image %q is not a valid image reference: fix the server's configuration", image)
	}
	df := builderDockerfile(image, modFlag(dir))
	skip := func(rel string, isDir bool) (bool, bool) {
		rel = filepath.ToSlash(rel)
		return rel == "Dockerfile" || rel == ".dockerignore", false
	}
	return streamTar(func(tw *tar.Writer) error {
		if err := addBytes(tw, "Dockerfile", []byte(df), 0o644); err != nil {
			return err
		}
		return addDir(tw, dir, skip)
	}, nil), nil
}

func builderDockerfile(image, mod string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "FROM %s AS build\n", image)
	b.WriteString("WORKDIR /src\n")
	b.WriteString("ENV CGO_ENABLED=0 GOOS=linux GOTOOLCHAIN=local GOWORK=off GOFLAGS=" + mod + "\n")
	if mod == "-mod=mod" {
		// Dependencies get their own layer, reused while go.mod and go.sum
		// stay the same.
		b.WriteString("COPY go.mod go.sum* ./\n")
		b.WriteString("RUN go mod download\n")
	}
	b.WriteString("COPY . .\n")
	b.WriteString(`RUN go build -trimpath -buildvcs=false -ldflags "-s -w" -o /out/function .` + "\n")
	b.WriteString("FROM scratch\n")
	b.WriteString("COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n")
	b.WriteString("COPY --from=build /out/function /function\n")
	b.WriteString(scratchTail)
	return b.String()
}

// scratchTail ends both Go Dockerfiles. PORT is a default for running the
// image by hand: the platform sets its own.
const scratchTail = "ENV PORT=8080\nEXPOSE 8080\nENTRYPOINT [\"/function\"]\n"
