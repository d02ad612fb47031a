package archive

import (
	"archive/tar"
	"errors"
	"io/fs"
	"path"
	"strings"
)

// symlink creates name pointing at a target that must stay inside the root.
//
// The target is stored cleaned, so it is some leading ".." followed only by
// downward components. The leading ".." climb real directories (parents are
// checked), and each downward step lands in the root or in another link that
// was held to the same rule, so resolving it never leaves the root. An
// uncleaned target like "a/link/../../.." could: the kernel resolves "link"
// before applying "..".
func (x *extractor) symlink(hdr *tar.Header, name string) error {
	target := hdr.Linkname
	switch {
	case target == "":
		return reject(name, "is a symlink with an empty target")
	case strings.ContainsRune(target, 0):
		return reject(name, "is a symlink whose target contains a NUL byte")
	case strings.ContainsRune(target, '\\'):
		return reject(name, "is a symlink whose target contains a backslash")
	case path.IsAbs(target):
		return reject(name, "is a symlink to an absolute path ("+target+"); use a relative target inside the code directory")
	}
	target = path.Clean(target)
	if resolved := path.Join(path.Dir(name), target); !fs.ValidPath(resolved) {
		return reject(name, "is a symlink to "+hdr.Linkname+", which points outside the code directory")
	}
	if err := x.root.Symlink(target, name); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return reject(name, "appears twice in the archive")
		}
		return reject(name, "cannot be created: "+err.Error())
	}
	return nil
}

// hardlink links name to a regular file that an earlier entry created.
func (x *extractor) hardlink(hdr *tar.Header, name string) error {
	target, err := cleanName(hdr.Linkname)
	if err != nil {
		return reject(name, "is a hard link to "+hdr.Linkname+", which is not a path inside the code directory")
	}
	if target == "." {
		return reject(name, "is a hard link to the destination directory")
	}
	// Lstat each parent: the target must be reached through real
	// directories only, like any entry.
	if dir := path.Dir(target); dir != "." {
		parts := strings.Split(dir, "/")
		for i := range parts {
			info, err := x.root.Lstat(strings.Join(parts[:i+1], "/"))
			if err != nil || !info.IsDir() {
				return reject(name, "is a hard link to "+hdr.Linkname+", which is not an extracted file")
			}
		}
	}
	info, err := x.root.Lstat(target)
	if err != nil || !info.Mode().IsRegular() {
		return reject(name, "is a hard link to "+hdr.Linkname+", which is not an extracted regular file")
	}
	if err := x.root.Link(target, name); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return reject(name, "appears twice in the archive")
		}
		return reject(name, "cannot be created: "+err.Error())
	}
	x.res.Files++
	return nil
}
