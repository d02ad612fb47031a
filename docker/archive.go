package docker

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/lambdahq/lambda"
)

// Bounds on the untrusted archives LoadImage scans.
const (
	maxArchiveMeta    = 1 << 20 // manifest.json or repositories
	maxArchiveEntries = 100_000
)

// archiveImage is one image a `docker save` archive declares.
type archiveImage struct {
	ID   string // sha256:<hex> of its config, "" when not recognisable
	Tags []string
}

// scanArchive copies a `docker save` archive (plain or gzip tar) from r to
// w as a plain tar, entry by entry, and reads the images it declares. It
// writes the end-of-archive marker only after check accepts them: the
// daemon may finish a load as soon as it sees the marker, so refusing has
// to happen before. An archive that is not one is EINVALID; errors of r
// that are already *lambda.Error (e.g. a size limit) pass through.
func scanArchive(r io.Reader, w io.Writer, check func([]archiveImage) error) error {
	src, err := decompressed(r)
	if err != nil {
		return err
	}
	tr := tar.NewReader(src)
	tw := tar.NewWriter(sendWriter{w})
	var manifest, repositories []byte
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if n == 0 {
				if le := (*lambda.Error)(nil); errors.As(err, &le) {
					return err
				}
				return notArchive("it is not a tar file (%v)", err)
			}
			return readError(err)
		}
		if n >= maxArchiveEntries {
			return notArchive("it has more than %d entries", maxArchiveEntries)
		}
		var meta *[]byte
		switch path.Clean(strings.TrimPrefix(hdr.Name, "/")) {
		case "manifest.json":
			meta = &manifest
		case "repositories":
			meta = &repositories
		}
		if meta != nil && hdr.Typeflag == tar.TypeReg {
			if hdr.Size > maxArchiveMeta {
				return notArchive("its %s is over %d KB", hdr.Name, maxArchiveMeta>>10)
			}
			if *meta, err = io.ReadAll(tr); err != nil {
				return readError(err)
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			if isWriteError(err) {
				return err
			}
			return notArchive("entry %q cannot be copied: %v", hdr.Name, err)
		}
		if meta != nil && *meta != nil {
			_, err = tw.Write(*meta)
		} else {
			_, err = io.Copy(tw, tr)
		}
		if err != nil {
			if isWriteError(err) {
				return err // the daemon stopped reading
			}
			return readError(err)
		}
	}
	images, err := archiveImages(manifest, repositories)
	if err != nil {
		return err
	}
	if err := check(images); err != nil {
		return err
	}
	return tw.Close()
}

// decompressed undoes gzip, which `docker save | gzip` users expect to
// work; docker load's other compressions are rare enough to refuse.
func decompressed(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(6)
	if err != nil && len(magic) == 0 {
		if errors.Is(err, io.EOF) {
			return nil, notArchive("the file is empty")
		}
		return nil, readError(err)
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, readError(err)
		}
		return zr, nil
	case bytes.HasPrefix(magic, []byte("BZh")), bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}),
		bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return nil, notArchive("it is compressed with bzip2, xz or zstd: decompress it or use gzip")
	}
	return br, nil
}

// archiveImages lists the images of manifest.json, or of the legacy
// repositories file when there is no manifest.json, as docker load does.
func archiveImages(manifest, repositories []byte) ([]archiveImage, error) {
	switch {
	case manifest != nil:
		var entries []struct {
			Config   string
			RepoTags []string
			Layers   []string
		}
		if err := json.Unmarshal(manifest, &entries); err != nil {
			return nil, notArchive("its manifest.json is invalid: %v", err)
		}
		if len(entries) == 0 {
			return nil, notArchive("its manifest.json lists no image")
		}
		out := make([]archiveImage, 0, len(entries))
		for _, e := range entries {
			out = append(out, archiveImage{ID: configID(e.Config), Tags: e.RepoTags})
		}
		return out, nil
	case repositories != nil:
		var repos map[string]map[string]string
		if err := json.Unmarshal(repositories, &repos); err != nil {
			return nil, notArchive("its repositories file is invalid: %v", err)
		}
		var img archiveImage
		for repo, tags := range repos {
			for tag := range tags {
				img.Tags = append(img.Tags, repo+":"+tag)
			}
		}
		sort.Strings(img.Tags)
		return []archiveImage{img}, nil
	}
	return nil, notArchive("it has no manifest.json; create one with \"docker save IMAGE -o FILE.tar\"")
}

var hex64 = regexp.MustCompile(`^[a-f0-9]{64}$`)

// configID derives the image ID from the config's path in the archive:
// "<hex>.json" (docker save) or "blobs/sha256/<hex>" (OCI layout).
func configID(p string) string {
	h := strings.TrimSuffix(path.Base(p), ".json")
	if !hex64.MatchString(h) {
		return ""
	}
	return "sha256:" + h
}

// notArchive is the error for input that is no `docker save` archive.
func notArchive(format string, args ...any) error {
	return lambda.Errorf(lambda.EINVALID, "not a docker save archive: "+format, args...)
}

// readError classifies an error met while reading the archive: a domain
// error of the source (e.g. the upload's size limit) as is, anything else
// as a broken archive.
func readError(err error) error {
	var le *lambda.Error
	if errors.As(err, &le) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return notArchive("it ends in the middle of an entry (truncated upload?)")
	}
	return notArchive("%v", err)
}

// writeError marks a failure to pass the archive on to the daemon, so it
// is not mistaken for a broken archive.
type writeError struct{ err error }

func (e *writeError) Error() string { return "send archive to Docker: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

func isWriteError(err error) bool {
	var we *writeError
	return errors.As(err, &we)
}

// sendWriter wraps the pipe to the daemon so its failures are writeErrors.
type sendWriter struct{ w io.Writer }

func (s sendWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		err = &writeError{err}
	}
	return n, err
}

func (a archiveImage) String() string {
	if len(a.Tags) > 0 {
		return strings.Join(a.Tags, ", ")
	}
	return fmt.Sprintf("image %s", a.ID)
}
