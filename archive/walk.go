package archive

import (
	"archive/tar"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	lambda "github.com/lambdahq/lambda"
)

// entry is one path to pack, found by the measuring walk.
type entry struct {
	rel    string // slash-separated, relative to the packed directory
	kind   byte   // tar.TypeReg, tar.TypeDir or tar.TypeSymlink
	mode   int64
	size   int64
	target string // symlinks only
}

// tree is what the measuring walk found.
type tree struct {
	entries []entry
	res     PackResult
	top     map[string]int64 // bytes under each top-level name, for messages
}

// collect walks root in lexical order and returns what to pack. dir is the
// path the user gave, used in messages.
func collect(root, dir string) (*tree, error) {
	ig, err := loadIgnorer(root)
	if err != nil {
		return nil, err
	}
	t := &tree{top: map[string]int64{}}
	content := 0 // files and symlinks other than the ignore files
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return lambda.Errorf(lambda.EINVALID, "cannot read %s: %w", p, err)
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		skip, err := ig.excluded(rel)
		if err != nil {
			return lambda.Errorf(lambda.EINVALID, "matching ignore patterns against %s: %w", rel, err)
		}
		if skip {
			if d.IsDir() && !ig.mayReinclude(rel) {
				return filepath.SkipDir
			}
			return nil
		}
		e, ok, err := newEntry(p, rel, d)
		if err != nil || !ok {
			return err
		}
		if e.kind == tar.TypeReg {
			t.res.Files++
			t.res.Bytes += e.size
			t.top[strings.SplitN(rel, "/", 2)[0]] += e.size
		}
		if e.kind != tar.TypeDir && !isIgnoreFile(rel) {
			content++
		}
		t.entries = append(t.entries, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if content == 0 {
		return nil, lambda.Errorf(lambda.EINVALID,
			"code directory %s has no files to deploy (after applying .dockerignore and .lambdaignore)", dir)
	}
	return t, nil
}

// newEntry describes p, or reports ok=false for kinds that are not packed
// (sockets, devices, fifos).
func newEntry(p, rel string, d fs.DirEntry) (entry, bool, error) {
	info, err := d.Info()
	if err != nil {
		return entry{}, false, lambda.Errorf(lambda.EINVALID, "cannot read %s: %w", p, err)
	}
	e := entry{rel: rel}
	switch mode := info.Mode(); {
	case mode.IsDir():
		e.kind, e.mode = tar.TypeDir, 0o755
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return entry{}, false, lambda.Errorf(lambda.EINVALID, "cannot read symlink %s: %w", p, err)
		}
		e.kind, e.mode, e.target = tar.TypeSymlink, 0o777, filepath.ToSlash(target)
	case mode.IsRegular():
		e.kind, e.mode, e.size = tar.TypeReg, fileMode(mode), info.Size()
	default:
		return entry{}, false, nil
	}
	return e, true, nil
}

// fileMode keeps only whether a file is executable.
func fileMode(m fs.FileMode) int64 {
	if m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}
