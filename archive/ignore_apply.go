package archive

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	lambda "github.com/lambdahq/lambda"
)

// ApplyIgnore removes from dir, a tree already on disk (an upload's or a
// clone's extraction), every path its .dockerignore and .lambdaignore
// exclude, so that a tree the server obtained itself (from git) deploys
// exactly what Pack would have packed from the same checkout. Pack's
// rules apply: the ignore files stay, an excluded directory is walked
// only when an exception may bring back something below it, and a tree
// left with nothing but its ignore files is an error.
func ApplyIgnore(dir string) error {
	ig, err := loadIgnorer(dir)
	if err != nil {
		return err
	}
	if ig.pm == nil {
		return nil
	}
	var descended []string // excluded directories kept for what they may hold
	kept := 0              // files and links other than the ignore files
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return lambda.Errorf(lambda.EINVALID, "cannot read %s: %w", p, err)
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		skip, err := ig.excluded(rel)
		if err != nil {
			return lambda.Errorf(lambda.EINVALID, "matching ignore patterns against %s: %w", rel, err)
		}
		switch {
		case !skip:
			if !d.IsDir() && !isIgnoreFile(rel) {
				kept++
			}
			return nil
		case d.IsDir() && ig.mayReinclude(rel):
			descended = append(descended, p)
			return nil
		case d.IsDir():
			if err := os.RemoveAll(p); err != nil {
				return err
			}
			return filepath.SkipDir
		default:
			return os.Remove(p)
		}
	})
	if err != nil {
		return err
	}
	// Pack writes no entry for an excluded directory: one that kept
	// nothing goes, deepest first.
	for i := len(descended) - 1; i >= 0; i-- {
		if err := os.Remove(descended[i]); err != nil && !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	if kept == 0 {
		return lambda.Errorf(lambda.EINVALID, "the tree has no files to deploy once its .dockerignore and .lambdaignore apply")
	}
	return nil
}
