package runtimes

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// tarStream is a tar archive produced by a goroutine as it is read.
type tarStream struct {
	*io.PipeReader
	done    chan struct{}
	cleanup func()
	once    sync.Once
}

var errStreamClosed = errors.New("build context closed by its reader")

// streamTar runs fill in a goroutine and returns the archive it writes.
// Closing the stream stops fill, waits for it, then runs cleanup (which
// may be nil), so temporary files outlive every read of them.
func streamTar(fill func(*tar.Writer) error, cleanup func()) io.ReadCloser {
	pr, pw := io.Pipe()
	s := &tarStream{PipeReader: pr, done: make(chan struct{}), cleanup: cleanup}
	go func() {
		defer close(s.done)
		tw := tar.NewWriter(pw)
		err := fill(tw)
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err) // nil: readers see io.EOF
	}()
	return s
}

func (s *tarStream) Close() error {
	s.PipeReader.CloseWithError(errStreamClosed)
	<-s.done
	s.once.Do(func() {
		if s.cleanup != nil {
			s.cleanup()
		}
	})
	return nil
}

// addBytes writes an in-memory file, owned by root as the build expects.
func addBytes(tw *tar.Writer, name string, data []byte, mode int64) error {
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: mode, ModTime: time.Unix(0, 0)}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("add %s to build context: %w", name, err)
	}
	_, err := tw.Write(data)
	return err
}

// addPath writes the file, directory or symlink at path as name. Symlinks
// are stored as links, never followed; other special files are skipped.
func addPath(tw *tar.Writer, name, path string, fi fs.FileInfo) error {
	var link string
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return fmt.Errorf("read link %s: %w", name, err)
		}
		link = target
	case fi.IsDir(), fi.Mode().IsRegular():
	default:
		return nil
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return fmt.Errorf("add %s to build context: %w", name, err)
	}
	hdr.Name = filepath.ToSlash(name)
	if fi.IsDir() {
		hdr.Name += "/"
	}
	// The build must not depend on who owns the files on the server.
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("add %s to build context: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("add %s to build context: %w", name, err)
	}
	defer f.Close()
	if _, err := io.CopyN(tw, f, hdr.Size); err != nil {
		return fmt.Errorf("add %s to build context: %w", name, err)
	}
	return nil
}

// addFile writes the regular file at path as name.
func addFile(tw *tar.Writer, name, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("add %s to build context: %w", name, err)
	}
	return addPath(tw, name, path, fi)
}

// addDir writes everything under dir, paths relative to it, except what
// skip rejects. skip sees OS-style relative paths; for a skipped
// directory it also says whether to descend into it anyway.
func addDir(tw *tar.Writer, dir string, skip func(rel string, isDir bool) (skipIt, descend bool)) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		if skip != nil {
			if s, descend := skip(rel, d.IsDir()); s {
				if d.IsDir() && !descend {
					return filepath.SkipDir
				}
				return nil
			}
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return addPath(tw, rel, path, fi)
	})
}
