package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	lambda "github.com/lambdahq/lambda"
)

// Lambda's limits on a function's zip: what the API accepts directly, and
// what it may expand to.
const (
	MaxZipBytes      = 50 << 20
	MaxUnzippedBytes = 250 << 20
)

// maxNameComponent is the longest file name Linux file systems take.
const maxNameComponent = 255

// ZipLimits bounds what FromZip accepts; a zero field takes Lambda's limit
// (MaxZipBytes, MaxUnzippedBytes, DefaultExtractMaxEntries).
type ZipLimits struct {
	MaxZipBytes      int64
	MaxUnzippedBytes int64
	MaxEntries       int
}

func (l ZipLimits) withDefaults() ZipLimits {
	if l.MaxZipBytes <= 0 {
		l.MaxZipBytes = MaxZipBytes
	}
	if l.MaxUnzippedBytes <= 0 {
		l.MaxUnzippedBytes = MaxUnzippedBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultExtractMaxEntries
	}
	return l
}

// ZipOptions tunes FromZip.
type ZipOptions struct {
	// Executable files are made executable: a `bootstrap` zipped on
	// Windows carries no mode bits at all.
	Executable []string
	// Add puts files in the tree besides the zip's (a Dockerfile the
	// server writes); a zip holding one of them is refused.
	Add map[string][]byte
}

// ZipTree is a zip converted by FromZip.
type ZipTree struct {
	// TarGz is the tree as Extract reads it: the same zip always gives the
	// same bytes (sorted entries, no times or owners), so a deploy of an
	// unchanged zip publishes nothing.
	TarGz []byte
	// Files holds the slash-separated names of the regular files.
	Files map[string]bool
	Bytes int64 // total uncompressed size of the files
}

// errCorruptZip is the message Lambda answers an unreadable zip with.
const errCorruptZip = "Could not unzip uploaded file. Please check your file, then try to upload again."

// FromZip converts a Lambda deployment package (untrusted) into a gzip
// tar for Extract. It refuses a zip over the limits, before expanding
// anything when the sizes the zip declares are already over them and
// while expanding when the zip lies about them. Names are only normalised
// here (Extract refuses escaping ones); symlinks stay symlinks (Extract
// checks their targets).
func FromZip(data []byte, limits ZipLimits, opts ZipOptions) (*ZipTree, error) {
	limits = limits.withDefaults()
	if int64(len(data)) > limits.MaxZipBytes {
		return nil, lambda.Errorf(lambda.ETOOLARGE, "the zip is %d bytes: the limit is %d bytes zipped (use an image for larger code)", len(data), limits.MaxZipBytes)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "%s (%v)", errCorruptZip, err)
	}
	if len(zr.File) > limits.MaxEntries {
		return nil, lambda.Errorf(lambda.ETOOLARGE, "the zip has %d entries: the limit is %d", len(zr.File), limits.MaxEntries)
	}
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
	}
	if declared > uint64(limits.MaxUnzippedBytes) {
		return nil, unzippedTooLarge(limits)
	}
	files := append([]*zip.File(nil), zr.File...)
	sort.SliceStable(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	exec := map[string]bool{}
	for _, e := range opts.Executable {
		exec[e] = true
	}

	t := &ZipTree{Files: map[string]bool{}}
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	budget := limits.MaxUnzippedBytes
	for _, f := range files {
		if err := t.add(tw, f, exec, &budget, limits); err != nil {
			return nil, err
		}
	}
	added := make([]string, 0, len(opts.Add))
	for name := range opts.Add {
		added = append(added, name)
	}
	sort.Strings(added)
	for _, name := range added {
		if t.Files[name] {
			return nil, lambda.Errorf(lambda.EINVALID, "the zip holds %s, which the server writes itself for this runtime: remove it from the zip", name)
		}
		content := opts.Add[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(content)), Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(content); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	if len(t.Files) == 0 {
		return nil, lambda.Errorf(lambda.EINVALID, "the zip holds no files: nothing to deploy")
	}
	t.TarGz = buf.Bytes()
	return t, nil
}

func unzippedTooLarge(l ZipLimits) error {
	return lambda.Errorf(lambda.ETOOLARGE, "Unzipped size must be smaller than %d bytes", l.MaxUnzippedBytes)
}

// add writes one zip entry to tw, counting its real size against budget.
func (t *ZipTree) add(tw *tar.Writer, f *zip.File, exec map[string]bool, budget *int64, l ZipLimits) error {
	name := strings.TrimPrefix(strings.ReplaceAll(f.Name, "\\", "/"), "./")
	if name == "" || name == "/" {
		return nil
	}
	if strings.ContainsRune(name, 0) {
		// A tar header cannot carry it (and no file system either).
		return lambda.Errorf(lambda.EINVALID, "the zip entry %q has a NUL byte in its name", name)
	}
	// What Extract would refuse in the build is refused now, while the
	// Lambda API still answers the request (CreateFunction said Pending,
	// then Failed).
	if _, err := cleanName(strings.TrimSuffix(name, "/")); err != nil {
		return err
	}
	for _, c := range strings.Split(name, "/") {
		if len(c) > maxNameComponent {
			return lambda.Errorf(lambda.EINVALID, "code archive entry %.80q... has a name component of %d bytes, over %d", name, len(c), maxNameComponent)
		}
	}
	mode := f.Mode()
	hdr := &tar.Header{Name: name, Format: tar.FormatPAX}
	switch {
	case mode.IsDir() || strings.HasSuffix(name, "/"):
		hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
		return tw.WriteHeader(hdr)
	case mode&fs.ModeSymlink != 0:
		target, err := readZipFile(f, 4096)
		if err != nil {
			return err
		}
		if link := string(target); path.IsAbs(link) || !fs.ValidPath(path.Join(path.Dir(name), path.Clean(link))) {
			return reject(name, "is a symlink to "+link+", outside the code directory; use a relative target inside it")
		}
		hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, string(target), 0o777
		if err := tw.WriteHeader(hdr); err != nil {
			return lambda.Errorf(lambda.EINVALID, "the zip entry %q is a symlink no tar can hold: %v", name, err)
		}
		return nil
	case !mode.IsRegular():
		return lambda.Errorf(lambda.EINVALID, "the zip entry %q is not a file, directory or symlink", name)
	}
	content, err := readZipFile(f, *budget)
	if err != nil {
		if lambda.ErrorCode(err) == lambda.ETOOLARGE {
			return unzippedTooLarge(l)
		}
		return err
	}
	*budget -= int64(len(content))
	hdr.Typeflag, hdr.Size, hdr.Mode = tar.TypeReg, int64(len(content)), 0o644
	if mode&0o111 != 0 || exec[name] {
		hdr.Mode = 0o755
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return lambda.Errorf(lambda.EINVALID, "the zip entry %q cannot be stored: %v", name, err)
	}
	if _, err := tw.Write(content); err != nil {
		return err
	}
	t.Files[name] = true
	t.Bytes += int64(len(content))
	return nil
}

// readZipFile reads f, failing with ETOOLARGE past max bytes whatever its
// header declares.
func readZipFile(f *zip.File, max int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "%s (%s: %v)", errCorruptZip, f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	switch {
	case err != nil && !errors.Is(err, io.EOF):
		return nil, lambda.Errorf(lambda.EINVALID, "%s (%s: %v)", errCorruptZip, f.Name, err)
	case int64(len(b)) > max:
		return nil, lambda.Errorf(lambda.ETOOLARGE, "the zip entry %q expands beyond the limit", f.Name)
	}
	return b, nil
}
