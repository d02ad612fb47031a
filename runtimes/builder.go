package runtimes

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lambdahq/lambda"
)

// builderContext is the program's directory plus a multi-stage Dockerfile
// that compiles it in image and copies the binary into the final image.
// The directory's own Dockerfile and .dockerignore, if any, are left out:
// this is a Go build, not theirs. An SDK function gets a rewritten go.mod
// and the stand-in SDK module in .lambda-sdk/.
func (r *Registry) builderContext(p *goProgram, image string) (io.ReadCloser, error) {
	if !validRef(image) {
		return nil, lambda.Errorf(lambda.EUNAVAILABLE, "the Go builder image %q is not a valid image reference: fix the server's configuration", image)
	}
	var goMod []byte
	if p.sdk != nil {
		data, err := os.ReadFile(filepath.Join(p.dir, "go.mod"))
		if err != nil {
			return nil, lambda.Errorf(lambda.EINVALID, "cannot read go.mod: %w", err)
		}
		if goMod, err = sdkGoMod(data, "./"+sdkStandIn); err != nil {
			return nil, err
		}
	}
	df := builderDockerfile(image, p)
	skip := func(rel string, isDir bool) (bool, bool) {
		rel = filepath.ToSlash(rel)
		switch {
		case rel == "Dockerfile" || rel == ".dockerignore":
			return true, false
		case p.sdk != nil && (rel == "go.mod" || rel == sdkStandIn || strings.HasPrefix(rel, sdkStandIn+"/")):
			return true, false
		}
		return false, false
	}
	return streamTar(func(tw *tar.Writer) error {
		if err := addBytes(tw, "Dockerfile", []byte(df), 0o644); err != nil {
			return err
		}
		if p.sdk != nil {
			if err := addBytes(tw, "go.mod", goMod, 0o644); err != nil {
				return err
			}
			put := func(name string, data []byte) error { return addBytes(tw, sdkStandIn+"/"+name, data, 0o644) }
			if err := writeStandIn(p.sdk, put); err != nil {
				return err
			}
		}
		return addDir(tw, p.dir, skip)
	}, nil), nil
}

func builderDockerfile(image string, p *goProgram) string {
	mod := p.modFlag()
	var b strings.Builder
	fmt.Fprintf(&b, "FROM %s AS build\n", image)
	b.WriteString("WORKDIR /src\n")
	b.WriteString("ENV CGO_ENABLED=0 GOOS=linux GOTOOLCHAIN=local GOWORK=off GOFLAGS=" + mod + "\n")
	if mod == "-mod=mod" {
		// Dependencies get their own layer, reused while go.mod and go.sum
		// stay the same.
		b.WriteString("COPY go.mod go.sum* ./\n")
		if p.sdk != nil {
			b.WriteString("COPY " + sdkStandIn + " ./" + sdkStandIn + "\n")
		}
		b.WriteString("RUN go mod download\n")
	}
	b.WriteString("COPY . .\n")
	tags := ""
	if p.tags != "" {
		tags = " -tags " + p.tags
	}
	b.WriteString(`RUN go build -trimpath -buildvcs=false` + tags + ` -ldflags "-s -w" -o /out/function ` + p.mainPackage() + "\n")
	fmt.Fprintf(&b, "FROM %s\n", p.base)
	if p.ca {
		b.WriteString("COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n")
	}
	b.WriteString(p.meta)
	fmt.Fprintf(&b, "COPY --from=build /out/function %s\n", p.bin)
	return b.String()
}
