package archive

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	lambda "github.com/lambdahq/lambda"
)

// PackOptions tunes Pack. MaxBytes caps the uncompressed size of the packed
// files; zero means DefaultMaxBytes.
type PackOptions struct {
	MaxBytes int64
}

// PackResult describes what Pack wrote.
type PackResult struct {
	Files int   // regular files packed
	Bytes int64 // their total uncompressed size
}

// Pack writes dir as a gzip-compressed tar to w, paths relative to dir with
// forward slashes. Files matched by .dockerignore or .lambdaignore are left
// out. Symlinks are packed as symlinks; sockets, devices and fifos are
// skipped. Entries are sorted and carry no timestamps or owners, so the same
// directory always gives the same bytes.
//
// The whole tree is measured before anything is written, so a directory over
// the size limit fails fast and w receives nothing.
func Pack(dir string, w io.Writer, opts PackOptions) (*PackResult, error) {
	max := opts.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	root, err := packRoot(dir)
	if err != nil {
		return nil, err
	}
	t, err := collect(root, dir)
	if err != nil {
		return nil, err
	}
	if t.res.Bytes > max {
		return nil, tooLarge(dir, t, max)
	}
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	for _, e := range t.entries {
		if err := writeEntry(tw, root, e); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("pack %s: %w", dir, err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("pack %s: %w", dir, err)
	}
	res := t.res
	return &res, nil
}

// tooLarge names the biggest top-level entries: they are what the user
// most likely forgot to exclude.
func tooLarge(dir string, t *tree, max int64) error {
	names := make([]string, 0, len(t.top))
	for name := range t.top {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if a, b := t.top[names[i]], t.top[names[j]]; a != b {
			return a > b
		}
		return names[i] < names[j]
	})
	var big []string
	for _, name := range names[:min(3, len(names))] {
		big = append(big, fmt.Sprintf("%s (%d bytes)", name, t.top[name]))
	}
	return lambda.Errorf(lambda.ETOOLARGE,
		"%s holds %d bytes of files, over the limit of %d bytes (largest: %s); exclude what the function does not need at run time with a .lambdaignore file",
		dir, t.res.Bytes, max, strings.Join(big, ", "))
}

// packRoot checks that dir is a directory and returns the path to walk,
// following dir itself when it is a symlink.
func packRoot(dir string) (string, error) {
	info, err := os.Stat(dir)
	switch {
	case os.IsNotExist(err):
		return "", lambda.Errorf(lambda.EINVALID, "code directory %s does not exist", dir)
	case err != nil:
		return "", lambda.Errorf(lambda.EINVALID, "cannot read code directory %s: %w", dir, err)
	case !info.IsDir():
		return "", lambda.Errorf(lambda.EINVALID, "code path %s is not a directory; pass the directory that holds the function", dir)
	}
	return filepath.EvalSymlinks(dir)
}

// zeroTime is the Unix epoch: unlike time.Time{}, it fits the ustar format.
var zeroTime = time.Unix(0, 0)

func writeEntry(tw *tar.Writer, root string, e entry) error {
	hdr := &tar.Header{Name: e.rel, ModTime: zeroTime, Mode: e.mode}
	switch e.kind {
	case tar.TypeDir:
		hdr.Typeflag, hdr.Name = tar.TypeDir, e.rel+"/"
	case tar.TypeSymlink:
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.target
	default:
		hdr.Typeflag, hdr.Size = tar.TypeReg, e.size
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("pack %s: %w", e.rel, err)
	}
	if e.kind != tar.TypeReg {
		return nil
	}
	f, err := os.Open(filepath.Join(root, filepath.FromSlash(e.rel)))
	if err != nil {
		return lambda.Errorf(lambda.EINVALID, "cannot read %s: %w", e.rel, err)
	}
	defer f.Close()
	// Copy exactly the measured size: a file that changes while packing
	// must not break the archive or slip past the size check.
	if _, err := io.CopyN(tw, f, e.size); err != nil {
		return lambda.Errorf(lambda.EINVALID, "%s changed while packing; retry: %w", e.rel, err)
	}
	return nil
}
