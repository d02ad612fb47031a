package runtimes

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lambdahq/lambda"
)

// debianImage says how to assemble a base image from Debian packages.
type debianImage struct {
	packages []string            // roots of the dependency closure
	exclude  []string            // path.Match patterns of packages to leave out
	files    map[string][]string // packages of which only these files are wanted
	binary   string              // must exist afterwards, e.g. usr/bin/python3
	// versionOf is the package whose version the image is named for.
	versionOf string
	cmd       []string // the image's CMD
	env       []string // extra ENV, KEY=VALUE
}

// pruned are directories no function needs at run time.
var pruned = []string{
	"usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian",
	"usr/share/bug", "usr/share/doc-base", "usr/share/menu", "usr/share/bash-completion", "usr/share/zsh",
	"usr/share/common-licenses", "var/cache", "var/lib/dpkg", "var/lib/apt",
	// glibc's iconv modules: neither interpreter uses them.
	"usr/lib/x86_64-linux-gnu/gconv", "usr/lib/aarch64-linux-gnu/gconv",
}

// passwd and group give the platform's user 1000 a name: some tools
// (pip, npm) look the current user up.
const (
	passwd = "root:x:0:0:root:/root:/usr/sbin/nologin\nlambda:x:1000:1000:lambda:/tmp:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	group  = "root:x:0:\nlambda:x:1000:\nnogroup:x:65534:\n"
)

// assembleBase builds ref from the host's Debian packages and imports it;
// version is the Debian version of spec.versionOf that apt resolved.
func (r *Registry) assembleBase(ctx context.Context, ref string, spec debianImage, version string, out io.Writer) error {
	if err := r.canAssemble(ref); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(r.TempDir, "lambda-rootfs-")
	if err != nil {
		return fmt.Errorf("assemble %s: %w", ref, err)
	}
	defer os.RemoveAll(tmp)
	root := filepath.Join(tmp, "rootfs")
	pkgs, err := r.Debian.rootfs(ctx, root, spec, out)
	if err != nil {
		return err
	}
	if err := finishRootfs(root, r.caBundle()); err != nil {
		return fmt.Errorf("assemble %s: %w", ref, err)
	}
	if _, err := os.Lstat(filepath.Join(root, spec.binary)); err != nil {
		return lambda.Errorf(lambda.EUNAVAILABLE, "assembling %s from %s left no /%s", ref, strings.Join(spec.packages, ", "), spec.binary)
	}
	size := dirSize(root)
	fmt.Fprintf(out, "debian: importing %s (%d packages, %d MB)\n", ref, len(pkgs), size>>20)
	changes := []string{
		"ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"ENV LANG=C.UTF-8",
		"LABEL " + labelSource + "=" + labelSourceDeb,
		"LABEL lambda.packages=" + strconv.Quote(strings.Join(spec.packages, " ")),
		"LABEL " + labelPackageVersion + "=" + strconv.Quote(version),
		"LABEL " + labelLanguageVersion + "=" + strconv.Quote(upstreamVersion(version)),
		"LABEL " + labelImage + "=" + strconv.Quote(ref),
		"CMD " + execForm(spec.cmd),
	}
	for _, e := range spec.env {
		changes = append(changes, "ENV "+e)
	}
	exists := func(ctx context.Context) (bool, error) { return r.Driver.ImageExists(ctx, ref) }
	return r.publish(ctx, ref, out, exists, func(tmp string) error {
		rc := streamTar(func(tw *tar.Writer) error { return addDir(tw, root, nil) }, nil)
		defer rc.Close()
		return r.Importer.ImportImage(ctx, rc, tmp, changes)
	})
}

// finishRootfs turns unpacked packages into a root filesystem that runs as
// the platform runs functions: user 1000, read-only, a tmpfs on /tmp.
func finishRootfs(root, ca string) error {
	for _, p := range pruned {
		if err := os.RemoveAll(filepath.Join(root, p)); err != nil {
			return err
		}
	}
	for dir, mode := range map[string]os.FileMode{
		"tmp": 0o1777, "var/task": 0o755, "root": 0o700, "etc/ssl/certs": 0o755, "var/tmp": 0o1777,
	} {
		p := filepath.Join(root, dir)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
	}
	files := map[string]string{"etc/passwd": passwd, "etc/group": group}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	if ca != "" {
		data, err := os.ReadFile(ca)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func dirSize(root string) int64 {
	var n int64
	filepath.Walk(root, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}
