package archive

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	lambda "github.com/lambdahq/lambda"
)

// ExtractResult describes what Extract wrote.
type ExtractResult struct {
	Files  int    // regular files and hard links written
	Bytes  int64  // total bytes of file content written
	SHA256 string // hex digest of the compressed input stream as read
}

// Extract reads a gzip-compressed tar from r into dest, an existing empty
// directory. The input is untrusted: Extract refuses absolute or escaping
// names, symlinks that point outside dest, hard links to anything but an
// already extracted file, devices and fifos, duplicate names, and any entry
// whose parent is not a real directory inside dest. Modes are reduced to
// 0644 or 0755. Limits bound the entry count and the bytes actually written.
//
// Errors: a bad archive is lambda.EINVALID, an archive over a limit is
// lambda.ETOOLARGE, and a failure reading r is returned wrapped with its
// cause intact (so a caller can recognise, say, *http.MaxBytesError).
//
// On error Extract may leave a partial tree in dest, never anything outside
// it; the caller is expected to remove dest.
func Extract(r io.Reader, dest string, limits Limits) (*ExtractResult, error) {
	limits = limits.withDefaults()
	root, err := openEmptyRoot(dest)
	if err != nil {
		return nil, err
	}
	defer root.Close()

	hash := sha256.New()
	src := &errRecorder{r: r}
	x := &extractor{root: root, limits: limits}
	err = x.run(io.TeeReader(src, hash))
	if src.err != nil {
		// The archive looked broken because the upload broke; say so.
		var le *lambda.Error
		if errors.As(src.err, &le) {
			return nil, src.err
		}
		return nil, fmt.Errorf("read code archive: %w", src.err)
	}
	if err != nil {
		return nil, err
	}
	if x.res.Files == 0 {
		return nil, lambda.Errorf(lambda.EINVALID, "code archive contains no files; nothing to deploy")
	}
	x.res.SHA256 = hex.EncodeToString(hash.Sum(nil))
	return &x.res, nil
}

func openEmptyRoot(dest string) (*os.Root, error) {
	root, err := os.OpenRoot(dest)
	if err != nil {
		return nil, fmt.Errorf("extract: open destination: %w", err)
	}
	d, err := root.Open(".")
	if err == nil {
		var names []string
		names, err = d.Readdirnames(1)
		d.Close()
		if err == io.EOF {
			return root, nil
		}
		if err == nil {
			err = fmt.Errorf("%s is not empty (holds %q)", dest, names[0])
		}
	}
	root.Close()
	return nil, fmt.Errorf("extract: destination: %w", err)
}

type extractor struct {
	root   *os.Root
	limits Limits
	res    ExtractResult
}

func (x *extractor) run(compressed io.Reader) error {
	gz, err := gzip.NewReader(compressed)
	if err != nil {
		return invalid(err)
	}
	stream := &cappedReader{r: gz, max: x.limits.streamCap(), what: "the tar stream"}
	tr := tar.NewReader(stream)
	for entries := 0; ; entries++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) { // names are checked below
			return invalid(err)
		}
		if entries >= x.limits.MaxEntries {
			return lambda.Errorf(lambda.ETOOLARGE,
				"code archive has more than %d entries; exclude files you do not need with .lambdaignore", x.limits.MaxEntries)
		}
		if err := x.entry(tr, hdr); err != nil {
			return err
		}
	}
	// Read to the end so gzip verifies its checksum and the digest covers
	// every byte of the upload; trailing garbage is an error.
	if _, err := io.Copy(io.Discard, stream); err != nil {
		return invalid(err)
	}
	return nil
}

// invalid wraps a gzip or tar failure, keeping a limit error as it is.
func invalid(err error) error {
	var le *lambda.Error
	if errors.As(err, &le) {
		return err
	}
	return lambda.Errorf(lambda.EINVALID, "code archive is not a valid tar.gz: %w", err)
}
