package git

import (
	"errors"
	"os"
	"sync/atomic"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
)

// errTooLarge is what a write past the limit fails with; the Cloner
// recognises it (limitFS.exceeded) and says which limit it was.
var errTooLarge = errors.New("git: repository over the size limit")

// limitFS is the clone's storage: a directory in which the bytes written,
// whatever the file, count against one limit. go-git writes the fetched
// pack through it, so a repository over the limit stops arriving as soon
// as it passes it rather than after it filled the disk.
type limitFS struct {
	billy.Filesystem
	max      int64
	written  *atomic.Int64
	exceeded *atomic.Bool
}

func newLimitFS(dir string, max int64) *limitFS {
	return &limitFS{Filesystem: osfs.New(dir, osfs.WithBoundOS()), max: max, written: new(atomic.Int64), exceeded: new(atomic.Bool)}
}

func (l *limitFS) wrap(f billy.File, err error) (billy.File, error) {
	if err != nil {
		return nil, err
	}
	return &limitFile{File: f, fs: l}, nil
}

func (l *limitFS) Create(name string) (billy.File, error) { return l.wrap(l.Filesystem.Create(name)) }

func (l *limitFS) OpenFile(name string, flag int, perm os.FileMode) (billy.File, error) {
	return l.wrap(l.Filesystem.OpenFile(name, flag, perm))
}

func (l *limitFS) TempFile(dir, prefix string) (billy.File, error) {
	return l.wrap(l.Filesystem.TempFile(dir, prefix))
}

func (l *limitFS) Chroot(p string) (billy.Filesystem, error) {
	inner, err := l.Filesystem.Chroot(p)
	if err != nil {
		return nil, err
	}
	return &limitFS{Filesystem: inner, max: l.max, written: l.written, exceeded: l.exceeded}, nil
}

type limitFile struct {
	billy.File
	fs *limitFS
}

func (f *limitFile) Write(p []byte) (int, error) {
	if f.fs.written.Add(int64(len(p))) > f.fs.max {
		f.fs.exceeded.Store(true)
		return 0, errTooLarge
	}
	return f.File.Write(p)
}
