package archive

import (
	"io"

	lambda "github.com/lambdahq/lambda"
)

// Defaults for a zero field of Limits.
const (
	DefaultExtractMaxBytes   = 200 << 20
	DefaultExtractMaxEntries = 20000
)

// Limits bounds what Extract accepts. A zero field takes its default:
// MaxBytes DefaultExtractMaxBytes, MaxEntries DefaultExtractMaxEntries,
// MaxFileBytes the effective MaxBytes.
type Limits struct {
	MaxBytes     int64 // total bytes of file content written
	MaxEntries   int   // tar entries of any kind
	MaxFileBytes int64 // bytes of a single file
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultExtractMaxBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultExtractMaxEntries
	}
	if l.MaxFileBytes <= 0 || l.MaxFileBytes > l.MaxBytes {
		l.MaxFileBytes = l.MaxBytes
	}
	return l
}

// streamCap bounds the decompressed tar stream as a whole. File content is
// limited separately; this also catches bytes that never become content,
// such as chains of PAX headers that archive/tar reads inside one Next call.
// Each entry may legitimately carry a few KiB of headers and padding.
func (l Limits) streamCap() int64 {
	return l.MaxBytes + int64(l.MaxEntries)*4096 + 1<<20
}

// cappedReader fails once more than max bytes have been read through it,
// instead of returning them, so a gzip bomb costs at most max bytes of work.
type cappedReader struct {
	r    io.Reader
	n    int64
	max  int64
	what string
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.n > c.max {
		return 0, c.tooLarge()
	}
	if rest := c.max - c.n + 1; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return 0, c.tooLarge()
	}
	return n, err
}

func (c *cappedReader) tooLarge() error {
	return lambda.Errorf(lambda.ETOOLARGE,
		"code archive is too large: %s expands beyond the limit of %d bytes; exclude files with .lambdaignore",
		c.what, c.max)
}

// errRecorder remembers the first error of the underlying reader, so a
// failure of the upload itself (a closed connection, a body size limit) is
// not mistaken for a corrupt archive.
type errRecorder struct {
	r   io.Reader
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}
