package archive

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"

	lambda "github.com/lambdahq/lambda"
)

// entry writes one tar entry below the root.
func (x *extractor) entry(tr *tar.Reader, hdr *tar.Header) error {
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader:
		return nil // metadata only (git archive writes one)
	case tar.TypeDir, tar.TypeReg, tar.TypeSymlink, tar.TypeLink:
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return reject(hdr.Name, "is a device or fifo; code archives may hold only files, directories and links")
	default:
		return reject(hdr.Name, "has unsupported tar entry type "+typeName(hdr.Typeflag))
	}
	name, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	if name == "." {
		if hdr.Typeflag == tar.TypeDir {
			return nil // "./" names dest itself
		}
		return reject(hdr.Name, "names the destination directory itself")
	}
	if err := x.parents(name); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.dir(name)
	case tar.TypeReg:
		return x.file(tr, hdr, name)
	case tar.TypeSymlink:
		return x.symlink(hdr, name)
	default:
		return x.hardlink(hdr, name)
	}
}

// cleanName turns an entry name into a clean slash path inside the root, or
// explains why it cannot be one.
func cleanName(raw string) (string, error) {
	switch {
	case raw == "":
		return "", reject(raw, "has an empty name")
	case strings.ContainsRune(raw, 0):
		return "", reject(raw, "contains a NUL byte")
	case strings.ContainsRune(raw, '\\'):
		return "", reject(raw, "contains a backslash; use forward slashes")
	case strings.HasPrefix(raw, "/"):
		return "", reject(raw, "is an absolute path")
	}
	for _, c := range strings.Split(raw, "/") {
		if c == ".." {
			return "", reject(raw, "contains a .. component")
		}
	}
	name := path.Clean(raw)
	if name != "." && !fs.ValidPath(name) {
		return "", reject(raw, "is not a valid relative path")
	}
	return name, nil
}

// parents makes sure every parent of name is a real directory, creating the
// missing ones. A symlink in the way is refused: writing through it is how an
// archive would reach outside the root.
func (x *extractor) parents(name string) error {
	dir := path.Dir(name)
	if dir == "." {
		return nil
	}
	parts := strings.Split(dir, "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		info, err := x.root.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := x.root.Mkdir(p, 0o755); err != nil {
				return reject(name, "needs a directory that cannot be created: "+err.Error())
			}
		case err != nil:
			return reject(name, "has a parent that cannot be inspected: "+err.Error())
		case !info.IsDir():
			return reject(name, "would be written through "+p+", which is not a directory")
		}
	}
	return nil
}

// dir creates name, or accepts it when an earlier entry already made it.
func (x *extractor) dir(name string) error {
	info, err := x.root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := x.root.Mkdir(name, 0o755); err != nil {
			return reject(name, "cannot be created: "+err.Error())
		}
	case err != nil:
		return reject(name, "cannot be inspected: "+err.Error())
	case !info.IsDir():
		return reject(name, "appears twice in the archive")
	}
	return x.root.Chmod(name, 0o755) // undo the umask, keep no special bits
}

// file writes a regular file, counting the bytes really copied against the
// limits rather than trusting the header.
func (x *extractor) file(tr *tar.Reader, hdr *tar.Header, name string) error {
	if hdr.Size > x.limits.MaxFileBytes {
		return x.fileTooLarge(name)
	}
	if x.res.Bytes+hdr.Size > x.limits.MaxBytes {
		return x.totalTooLarge()
	}
	mode := os.FileMode(fileMode(os.FileMode(hdr.Mode)))
	// O_EXCL refuses an existing name, symlinks included, so a duplicate
	// entry can neither overwrite a file nor write through a link.
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return reject(name, "appears twice in the archive")
	}
	if err != nil {
		return reject(name, "cannot be created: "+err.Error())
	}
	defer f.Close()
	// Count what is really copied, not what the header claims.
	lim := &cappedReader{r: tr, max: x.limits.MaxFileBytes}
	n, err := io.Copy(f, io.LimitReader(lim, x.limits.MaxBytes-x.res.Bytes+1))
	x.res.Bytes += n
	switch {
	case lim.n > lim.max:
		return x.fileTooLarge(name)
	case err != nil:
		return invalid(err)
	case x.res.Bytes > x.limits.MaxBytes:
		return x.totalTooLarge()
	}
	x.res.Files++
	if err := f.Chmod(mode); err != nil { // undo the umask
		return err
	}
	return f.Close()
}

func (x *extractor) fileTooLarge(name string) error {
	return lambda.Errorf(lambda.ETOOLARGE, "file %s in the code archive is larger than the limit of %d bytes; exclude it with .lambdaignore",
		name, x.limits.MaxFileBytes)
}

func (x *extractor) totalTooLarge() error {
	return lambda.Errorf(lambda.ETOOLARGE,
		"code archive expands to more than the limit of %d bytes; exclude files you do not need with .lambdaignore",
		x.limits.MaxBytes)
}

func reject(name, why string) error {
	return lambda.Errorf(lambda.EINVALID, "code archive entry %q %s", name, why)
}

func typeName(t byte) string {
	return strconv.QuoteRune(rune(t))
}
