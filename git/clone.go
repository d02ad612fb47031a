// Package git implements lambda.Cloner with go-git (pure Go: the server
// needs no git binary). A clone is shallow where the server allows it,
// bounded in bytes fetched, files and time, and hands its tree over as a
// tar.gz, so the engine extracts it with the rules of an upload.
package git

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/lambdahq/lambda"
)

// Defaults for a zero field of Cloner.
const (
	DefaultMaxBytes = 200 << 20
	DefaultMaxFiles = 20000
	DefaultTimeout  = 2 * time.Minute
)

var _ lambda.Cloner = (*Cloner)(nil)

// Cloner clones repositories into temporary directories it removes again.
type Cloner struct {
	// MaxBytes bounds both what is fetched (the pack, as written) and the
	// content of the tree handed over.
	MaxBytes int64
	// MaxFiles bounds the files of the tree handed over.
	MaxFiles int
	// Timeout bounds a whole clone, from the first byte to the last.
	Timeout time.Duration
	// TempDir holds the clones while they run ("" = os.TempDir).
	TempDir string
	Logger  *slog.Logger
}

// New returns a Cloner with the default limits.
func New() *Cloner {
	return &Cloner{MaxBytes: DefaultMaxBytes, MaxFiles: DefaultMaxFiles, Timeout: DefaultTimeout, Logger: slog.Default()}
}

func (c *Cloner) limits() (int64, int, time.Duration) {
	maxBytes, maxFiles, timeout := c.MaxBytes, c.MaxFiles, c.Timeout
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if maxFiles <= 0 {
		maxFiles = DefaultMaxFiles
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return maxBytes, maxFiles, timeout
}

// Clone implements lambda.Cloner.
func (c *Cloner) Clone(ctx context.Context, src lambda.GitSource, w io.Writer) (*lambda.Provenance, error) {
	if err := src.Validate(); err != nil {
		return nil, err
	}
	maxBytes, maxFiles, timeout := c.limits()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// go-git's git:// transport dials without a context and may block in
	// reads the context does not end, so the clone runs apart and the
	// caller's wait is bounded by the deadline either way; the goroutine
	// ends once its connection is closed or fails.
	type result struct {
		prov *lambda.Provenance
		err  error
	}
	done := make(chan result, 1)
	pr, pw := io.Pipe()
	go func() {
		prov, err := c.clone(ctx, src, pw, maxBytes, maxFiles)
		pw.CloseWithError(err)
		done <- result{prov, err}
	}()
	out := &recordingWriter{w: w}
	copyDone := make(chan struct{})
	go func() {
		_, err := io.Copy(out, pr)
		pr.CloseWithError(err)
		close(copyDone)
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		pr.CloseWithError(ctx.Err())
		res = result{nil, ctx.Err()}
	}
	// Nothing writes to w once Clone returns: the copy has stopped.
	<-copyDone
	switch {
	case out.err != nil:
		return nil, out.err // the reader's own failure (say, an extraction limit)
	case res.err != nil:
		return nil, c.describe(ctx, src, res.err, maxBytes, timeout)
	}
	return res.prov, nil
}

// recordingWriter keeps the first error of w, so that a failure of the
// tree's reader is told apart from a failure of the clone.
type recordingWriter struct {
	w   io.Writer
	err error
}

func (r *recordingWriter) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	if err != nil && r.err == nil {
		r.err = err
	}
	return n, err
}

func (c *Cloner) clone(ctx context.Context, src lambda.GitSource, w io.Writer, maxBytes int64, maxFiles int) (*lambda.Provenance, error) {
	dir, err := os.MkdirTemp(c.TempDir, "lambda-git-")
	if err != nil {
		return nil, fmt.Errorf("git: temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	fs := newLimitFS(dir, maxBytes)
	// A pinned commit is what is fetched; the ref it was pushed to is what
	// the provenance records.
	fetch := src
	if src.Commit != "" {
		fetch.Ref = src.Commit
	}
	f := &fetcher{src: fetch, auth: auth(src), fs: fs}
	commit, err := f.fetch(ctx)
	if err != nil {
		return nil, err
	}
	tw := &treeWriter{maxBytes: maxBytes, maxFiles: maxFiles, src: src}
	if err := tw.write(ctx, commit, w); err != nil {
		return nil, err
	}
	if c.Logger != nil {
		c.Logger.Info("git clone", "repository", lambda.RedactURL(src.URL), "ref", src.Ref, "commit", commit.Hash.String(),
			"fetched_bytes", fs.written.Load(), "files", tw.files, "bytes", tw.bytes)
	}
	return &lambda.Provenance{Repository: lambda.RedactURL(src.URL), Ref: src.Ref, Commit: commit.Hash.String(), Subdir: src.CleanSubdir()}, nil
}

// auth is token authentication for https; nil without a token. The token
// goes to the server as an HTTP basic password, the form GitHub, GitLab
// and Gitea accept for access tokens.
func auth(src lambda.GitSource) transport.AuthMethod {
	if src.Token == "" {
		return nil
	}
	return &githttp.BasicAuth{Username: "x-access-token", Password: src.Token}
}

// options common to every remote call.
func listOptions(a transport.AuthMethod) *gogit.ListOptions {
	return &gogit.ListOptions{Auth: a, PeelingOption: gogit.AppendPeeled}
}
