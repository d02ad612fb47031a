package git

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/lambdahq/lambda"
)

// maxLinkTarget bounds a symlink's target as read from its blob.
const maxLinkTarget = 4096

// treeWriter writes a commit's tree (below src's subdir) as a tar.gz, in
// the tree's order and with the commit's time on every entry: the same
// commit always gives the same bytes, so the engine's code digest sees an
// unchanged tree as unchanged.
type treeWriter struct {
	src      lambda.GitSource
	maxBytes int64
	maxFiles int // files, directories and links, as the extraction counts entries
	files    int // regular files
	entries  int // everything written
	bytes    int64
}

func (t *treeWriter) write(ctx context.Context, commit *object.Commit, w io.Writer) error {
	tree, err := commit.Tree()
	if err != nil {
		return fmt.Errorf("git: tree of %s: %w", commit.Hash, err)
	}
	if sub := t.src.CleanSubdir(); sub != "" {
		tree, err = tree.Tree(sub)
		if err != nil {
			return lambda.Errorf(lambda.EINVALID, "directory %q does not exist in commit %s of %s: give a directory of the repository with --subdir",
				sub, lambda.ShortCommit(commit.Hash.String()), lambda.RedactURL(t.src.URL))
		}
	}
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	if err := t.walk(ctx, tree, "", tw, commit); err != nil {
		return err
	}
	if t.files == 0 {
		return lambda.Errorf(lambda.EINVALID, "commit %s of %s holds no files in %q: nothing to deploy",
			lambda.ShortCommit(commit.Hash.String()), lambda.RedactURL(t.src.URL), "/"+t.src.CleanSubdir())
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func (t *treeWriter) walk(ctx context.Context, tree *object.Tree, dir string, tw *tar.Writer, commit *object.Commit) error {
	mtime := commit.Committer.When.UTC()
	for _, e := range tree.Entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := path.Join(dir, e.Name)
		if e.Mode == filemode.Dir || e.Mode == filemode.Symlink || e.Mode.IsFile() {
			t.entries++
			if t.entries > t.maxFiles {
				return lambda.Errorf(lambda.ETOOLARGE, "the tree of %s has more than the limit of %d files and directories: deploy a smaller directory with --subdir",
					lambda.RedactURL(t.src.URL), t.maxFiles)
			}
		}
		switch e.Mode {
		case filemode.Dir:
			sub, err := tree.Tree(e.Name)
			if err != nil {
				return fmt.Errorf("git: tree %s: %w", name, err)
			}
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755, ModTime: mtime}); err != nil {
				return err
			}
			if err := t.walk(ctx, sub, name, tw, commit); err != nil {
				return err
			}
		case filemode.Regular, filemode.Executable, filemode.Deprecated:
			if err := t.file(tree, e, name, tw, mtime); err != nil {
				return err
			}
		case filemode.Symlink:
			if err := t.symlink(tree, e, name, tw, mtime); err != nil {
				return err
			}
		default:
			// Submodules (and anything else) are not fetched: a deploy takes
			// the repository's own files, as a git archive would.
		}
	}
	return nil
}

func (t *treeWriter) file(tree *object.Tree, e object.TreeEntry, name string, tw *tar.Writer, mtime time.Time) error {
	t.files++
	f, err := tree.TreeEntryFile(&e)
	if err != nil {
		return fmt.Errorf("git: file %s: %w", name, err)
	}
	if t.bytes+f.Size > t.maxBytes {
		return t.tooLarge()
	}
	t.bytes += f.Size
	mode := int64(0o644)
	if e.Mode == filemode.Executable {
		mode = 0o755
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: f.Size, ModTime: mtime}); err != nil {
		return err
	}
	r, err := f.Reader()
	if err != nil {
		return fmt.Errorf("git: read %s: %w", name, err)
	}
	defer r.Close()
	if _, err := io.CopyN(tw, r, f.Size); err != nil {
		return fmt.Errorf("git: read %s: %w", name, err)
	}
	return nil
}

func (t *treeWriter) symlink(tree *object.Tree, e object.TreeEntry, name string, tw *tar.Writer, mtime time.Time) error {
	f, err := tree.TreeEntryFile(&e)
	if err != nil {
		return fmt.Errorf("git: link %s: %w", name, err)
	}
	if f.Size > maxLinkTarget {
		return lambda.Errorf(lambda.EINVALID, "symlink %s in %s has a target longer than %d bytes", name, lambda.RedactURL(t.src.URL), maxLinkTarget)
	}
	target, err := f.Contents()
	if err != nil {
		return fmt.Errorf("git: link %s: %w", name, err)
	}
	// The extraction checks that the target stays inside the tree.
	return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: mtime})
}

func (t *treeWriter) tooLarge() error {
	return lambda.Errorf(lambda.ETOOLARGE, "the tree of %s is larger than the limit of %d bytes: deploy a smaller directory with --subdir, or raise lambda server --git-max-bytes",
		lambda.RedactURL(t.src.URL), t.maxBytes)
}
