package shim

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	slashpath "path"
	"path/filepath"
	"strings"
)

// extractCode unpacks the init's tar into root (the task root, an empty
// tmpfs), at most limit bytes of file content. Names are relative and
// stay inside root; links are relative and point inside it, so that no
// later entry can be written through one to somewhere else; devices and
// other special files are refused. Modes keep their permission bits only.
func extractCode(r io.Reader, root string, limit int64) error {
	tr := tar.NewReader(r)
	var total int64
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("the init's code is not a valid tar: %w", err)
		}
		name, err := codeName(h.Name)
		if err != nil {
			return err
		}
		if name == "." {
			continue
		}
		dest := filepath.Join(root, filepath.FromSlash(name))
		mode := os.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := makeParents(root, name); err != nil {
				return fmt.Errorf("cannot unpack %s: %w", name, err)
			}
			if err := os.Mkdir(dest, mode|0o700); err != nil && !isDir(dest) {
				return fmt.Errorf("cannot unpack %s: %w", name, err)
			}
		case tar.TypeReg:
			total += h.Size
			if h.Size < 0 || total > limit {
				return fmt.Errorf("the init's code is over %d MB unpacked", limit>>20)
			}
			if err := writeCodeFile(root, name, tr, h.Size, mode); err != nil {
				return fmt.Errorf("cannot unpack %s: %w", name, err)
			}
		case tar.TypeSymlink:
			if err := checkLink(name, h.Linkname); err != nil {
				return err
			}
			if err := makeParents(root, name); err != nil {
				return fmt.Errorf("cannot unpack %s: %w", name, err)
			}
			if err := os.Symlink(h.Linkname, dest); err != nil {
				return fmt.Errorf("cannot unpack %s: %w", name, err)
			}
		default:
			return fmt.Errorf("the init's code holds %s, of a type (%q) a function's code cannot have", name, h.Typeflag)
		}
	}
}

// codeName cleans a tar entry's name; absolute names and names that climb
// out of the root are refused.
func codeName(name string) (string, error) {
	if name == "" || strings.ContainsRune(name, 0) || strings.Contains(name, `\`) {
		return "", fmt.Errorf("the init's code has an invalid name %q", name)
	}
	clean := slashpath.Clean(strings.TrimPrefix(name, "./"))
	if slashpath.IsAbs(name) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("the init's code has a name outside its root: %q", name)
	}
	return clean, nil
}

// checkLink refuses a link whose target is absolute or leaves the root.
func checkLink(name, target string) error {
	if target == "" || slashpath.IsAbs(target) || strings.ContainsRune(target, 0) {
		return fmt.Errorf("the init's code has a link %s to %q: links must be relative", name, target)
	}
	resolved := slashpath.Join(slashpath.Dir(name), target)
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return fmt.Errorf("the init's code has a link %s to %q, outside its root", name, target)
	}
	return nil
}

// writeCodeFile writes one file below directories that are not links.
func writeCodeFile(root, name string, r io.Reader, size int64, mode os.FileMode) error {
	if err := makeParents(root, name); err != nil {
		return err
	}
	// O_EXCL: a file is created, never opened through a link in its place.
	f, err := os.OpenFile(filepath.Join(root, filepath.FromSlash(name)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode|0o400)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.LimitReader(r, size))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = errors.New("the tar entry is shorter than its header says")
	}
	return err
}

// makeParents creates the directories above name in root, refusing any
// that is a link: checkLink judges a link's target from its name, which
// holds only while no directory on the way is a link itself (a link "a"
// to "." makes "a/b" a sibling of root's entries, and "a/b" to ".."
// would then leave the root).
func makeParents(root, name string) error {
	dir := root
	parts := strings.Split(name, "/")
	for _, p := range parts[:len(parts)-1] {
		dir = filepath.Join(dir, p)
		fi, err := os.Lstat(dir)
		switch {
		case os.IsNotExist(err):
			if err := os.Mkdir(dir, 0o755); err != nil {
				return err
			}
		case err != nil:
			return err
		case fi.Mode()&os.ModeSymlink != 0:
			return fmt.Errorf("%s is a link: nothing is unpacked below a link", p)
		case !fi.IsDir():
			return fmt.Errorf("%s is not a directory", p)
		}
	}
	return nil
}

func isDir(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.IsDir()
}

// sealCode takes the write bits off everything unpacked in root, root
// included. An image-built instance's task root is on its read-only root
// file system; a generic instance's is a tmpfs the instance's user owns,
// which it cannot remount read-only without privileges. Without write
// bits a function that writes to its task root fails in both kinds of
// instance alike, instead of only after one kind of cold start. (Its
// owner could put the bits back: it would only change its own container.)
func sealCode(root string) error {
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			return nil // chmod would follow it
		case d.IsDir():
			dirs = append(dirs, p) // after their entries, below
			return nil
		}
		return chmodNoWrite(p)
	})
	if err != nil {
		return fmt.Errorf("cannot make the code read-only: %w", err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := chmodNoWrite(dirs[i]); err != nil {
			return fmt.Errorf("cannot make the code read-only: %w", err)
		}
	}
	return nil
}

func chmodNoWrite(p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	return os.Chmod(p, fi.Mode().Perm()&^0o222)
}
