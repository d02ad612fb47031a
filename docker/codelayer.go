package docker

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// codeCopy is a Dockerfile's last instruction, COPY src dest.
type codeCopy struct {
	src  string // "." or the name of a regular file at the context's root
	dest string // absolute
	line string // the instruction, for the build output
}

// errNotWritable sends a build to the builder: the context holds
// something the driver does not copy as the builder would.
var errNotWritable = errors.New("the code's COPY is left to the builder")

// splitCodeCopy returns df without its last instruction and that
// instruction, when the marker announces it and it is a COPY the driver
// writes the same way as the builder: no flags, no variables, no
// wildcards, a context-relative source and an absolute destination.
func splitCodeCopy(df []byte) ([]byte, codeCopy, bool) {
	lines := strings.Split(strings.TrimRight(string(df), "\n"), "\n")
	if len(lines) < 3 || strings.TrimSpace(lines[len(lines)-2]) != lambda.CodeLayerMarker {
		return nil, codeCopy{}, false
	}
	line := strings.TrimSpace(lines[len(lines)-1])
	f := strings.Fields(line)
	if len(f) != 3 || !strings.EqualFold(f[0], "COPY") || strings.ContainsAny(line, "$\\[*?\"'") {
		return nil, codeCopy{}, false
	}
	src, dest := f[1], f[2]
	if src != "." && (src != path.Base(src) || strings.HasPrefix(src, "-") || src == "..") {
		return nil, codeCopy{}, false
	}
	if !path.IsAbs(dest) {
		return nil, codeCopy{}, false
	}
	base := strings.Join(lines[:len(lines)-2], "\n") + "\n"
	return []byte(base), codeCopy{src: src, dest: dest, line: line}, true
}

// target is where the context entry name lands in the image, without the
// leading slash; "" when the COPY does not take it.
func (c codeCopy) target(name string) string {
	if c.src == "." {
		return strings.TrimPrefix(path.Join(c.dest, name), "/")
	}
	if name != c.src {
		return ""
	}
	if strings.HasSuffix(c.dest, "/") {
		return strings.TrimPrefix(path.Join(c.dest, name), "/")
	}
	return strings.TrimPrefix(path.Clean(c.dest), "/")
}

// parents are the directories above what the COPY writes, outermost
// first: var/ and var/task/ for COPY . /var/task/.
func (c codeCopy) parents() []string {
	dir := path.Clean(c.dest)
	if c.src != "." && !strings.HasSuffix(c.dest, "/") {
		dir = path.Dir(dir)
	}
	var out []string
	for d := strings.TrimPrefix(dir, "/"); d != "" && d != "."; d = path.Dir(d) {
		out = append([]string{d + "/"}, out...)
	}
	return out
}

// codeLayer is a layer tar and its diff ID.
type codeLayer struct {
	tar    []byte
	diffID string // sha256:HEX of tar
	files  int
}

// writeCodeLayer writes the layer the classic builder's COPY makes of the
// build context ctxTar: the entries c takes, under c.dest, owned by root,
// modes and modification times kept, the directories above them root's
// with mode 0755 and modified now. The builder leaves out of the context
// the Dockerfile and .dockerignore when .dockerignore lists them, and
// nothing else (the docker CLI applies the rest of .dockerignore).
func writeCodeLayer(ctxTar []byte, c codeCopy, now time.Time) (*codeLayer, error) {
	ignored, err := contextIgnores(ctxTar)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	h := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(&buf, h))
	for _, dir := range c.parents() {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: now}); err != nil {
			return nil, err
		}
	}
	l := &codeLayer{}
	tr := tar.NewReader(bytes.NewReader(ctxTar))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("build context is not a tar archive: %w", err)
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "/"))
		if name == "." || ignored[name] {
			continue
		}
		if name == ".." || strings.HasPrefix(name, "../") {
			return nil, errNotWritable
		}
		to := c.target(name)
		if to == "" {
			continue
		}
		out := &tar.Header{Name: to, Mode: hdr.Mode & 0o7777, ModTime: hdr.ModTime, Typeflag: hdr.Typeflag}
		switch hdr.Typeflag {
		case tar.TypeReg:
			out.Size = hdr.Size
		case tar.TypeDir:
			out.Name += "/"
		case tar.TypeSymlink:
			out.Linkname = hdr.Linkname
		default:
			// Hard links, devices: the builder's own copy knows them.
			return nil, errNotWritable
		}
		if c.src != "." && hdr.Typeflag != tar.TypeReg {
			return nil, errNotWritable // COPY of a link or directory by name
		}
		if err := tw.WriteHeader(out); err != nil {
			return nil, err
		}
		if _, err := io.CopyN(tw, tr, out.Size); err != nil {
			return nil, fmt.Errorf("read build context: %w", err)
		}
		l.files++
	}
	if c.src != "." && l.files == 0 {
		return nil, errNotWritable // the builder says what is missing
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	l.tar, l.diffID = buf.Bytes(), fmt.Sprintf("sha256:%x", h.Sum(nil))
	return l, nil
}

// contextIgnores are the context's root entries the classic builder
// removes before it runs: Dockerfile and .dockerignore, when
// .dockerignore lists them.
func contextIgnores(ctxTar []byte) (map[string]bool, error) {
	tr := tar.NewReader(bytes.NewReader(ctxTar))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("build context is not a tar archive: %w", err)
		}
		if path.Clean(hdr.Name) != ".dockerignore" {
			continue
		}
		patterns, err := ignorefile.ReadAll(tr)
		if err != nil {
			return nil, errNotWritable
		}
		pm, err := patternmatcher.New(patterns)
		if err != nil {
			return nil, errNotWritable
		}
		out := map[string]bool{}
		for _, name := range []string{".dockerignore", "Dockerfile"} {
			if ok, _ := pm.MatchesOrParentMatches(name); ok {
				out[name] = true
			}
		}
		return out, nil
	}
}
