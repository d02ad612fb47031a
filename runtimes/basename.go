package runtimes

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/lambdahq/lambda"
)

// DefaultBaseRepo is where base images assembled from Debian packages are
// tagged: under names of our own that say what they hold (e.g.
// lambda-base/python:3.11-debian12), never under the official names of
// images that hold other versions.
const DefaultBaseRepo = "lambda-base"

// Labels of assembled base images.
const (
	labelLanguageVersion = "lambda.language-version" // e.g. 3.11.2
	labelPackageVersion  = "lambda.package-version"  // the Debian version, e.g. 3.11.2-1+b1
)

// versionEnv are the variables official images name their version in.
var versionEnv = map[string]string{
	lambda.RuntimePython: "PYTHON_VERSION",
	lambda.RuntimeNode:   "NODE_VERSION",
	lambda.RuntimeGo:     "GOLANG_VERSION",
}

// localBase is the name of l's base image assembled from the host's
// Debian packages, from the version apt would unpack, e.g.
// lambda-base/python:3.11-debian12; and that version, e.g. 3.11.2-1+b1.
func (r *Registry) localBase(ctx context.Context, l *language, out io.Writer) (ref, version string, err error) {
	version, err = r.Debian.candidate(ctx, l.debian.versionOf, out)
	if err != nil {
		return "", "", err
	}
	repo := r.BaseRepo
	if repo == "" {
		repo = DefaultBaseRepo
	}
	short := shortVersion(upstreamVersion(version), l.versionParts)
	return repo + "/" + l.name + ":" + short + "-" + hostDistro("/etc/os-release"), version, nil
}

// upstreamVersion is the upstream part of a Debian version:
// 1:18.19.0+dfsg-6~deb12u2 → 18.19.0.
func upstreamVersion(v string) string {
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	if i := strings.LastIndex(v, "-"); i > 0 {
		v = v[:i]
	}
	if i := strings.IndexAny(v, "+~"); i > 0 {
		v = v[:i]
	}
	return v
}

// shortVersion keeps the first n dot-separated parts of v.
func shortVersion(v string, n int) string {
	parts := strings.Split(v, ".")
	if n > 0 && len(parts) > n {
		parts = parts[:n]
	}
	return strings.Join(parts, ".")
}

var tagUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// hostDistro names the server host's distribution and release, whose
// packages an assembled image holds: debian12, ubuntu24.04.
func hostDistro(osRelease string) string {
	id, version := "debian", ""
	if data, err := os.ReadFile(osRelease); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			if !ok {
				continue
			}
			v = strings.Trim(v, `"'`)
			switch k {
			case "ID":
				id = v
			case "VERSION_ID":
				version = v
			}
		}
	}
	return tagUnsafe.ReplaceAllString(strings.ToLower(id+version), "")
}

// parseCandidate reads the candidate version from apt-cache policy's
// output; "" when there is none.
func parseCandidate(policy []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(policy))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "Candidate:"); ok {
			v = strings.TrimSpace(v)
			if v == "(none)" {
				return ""
			}
			return v
		}
	}
	return ""
}

// languageVersion is the version of the language img holds, as its labels
// (assembled images) or its environment (official images) say; "" when it
// cannot be told.
func languageVersion(img *lambda.Image, runtime string) string {
	if img == nil {
		return ""
	}
	if v := img.Labels[labelLanguageVersion]; v != "" {
		return v
	}
	key := versionEnv[runtime]
	for _, e := range img.Env {
		if k, v, ok := strings.Cut(e, "="); ok && k == key && key != "" {
			return v
		}
	}
	return ""
}

// hostGoVersion is the version of the host's Go toolchain at goBin, read
// from its VERSION file; "" when it cannot be told.
func hostGoVersion(goBin string) string {
	if goBin == "" {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(goBin)), "VERSION"))
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimPrefix(strings.TrimSpace(line), "go")
}

// candidate returns the version of pkg that assembling would unpack (apt's
// candidate against an empty dpkg status), e.g. 3.11.2-1+b1.
func (d *Debian) candidate(ctx context.Context, pkg string, out io.Writer) (string, error) {
	if err := d.Available(); err != nil {
		return "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	a, cleanup, err := d.newRun(out)
	if err != nil {
		return "", err
	}
	defer cleanup()
	for attempt := 1; ; attempt++ {
		stdout, err := a.run(ctx, "", "apt-cache", append(a.opts(), "policy", pkg)...)
		if err == nil {
			if v := parseCandidate(stdout); v != "" {
				return v, nil
			}
			err = lambda.Errorf(lambda.EUNAVAILABLE, "apt-cache has no version of %s to install", pkg)
		}
		if attempt == 2 || ctx.Err() != nil {
			return "", err
		}
		fmt.Fprintf(out, "debian: the host's package lists did not do (%v); fetching fresh ones with apt-get update\n", firstLine(err))
		if err := a.update(ctx); err != nil {
			return "", err
		}
	}
}
