package engine

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/lambdahq/lambda"
)

// cloneTree clones src and extracts its tree into dir, the directory an
// upload is extracted into, with the same extraction (and its rules and
// limits): the cloner hands the tree over as a tar.gz. It returns the
// tree's digest (the same commit and subdir give the same digest, so an
// unchanged deploy publishes nothing) and the provenance the version
// records.
func (e *Engine) cloneTree(ctx context.Context, src lambda.GitSource, dir string, p lambda.Progress) (string, *lambda.Provenance, error) {
	if e.Cloner == nil {
		return "", nil, lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server does not deploy from git: upload the code with lambda deploy DIR")
	}
	p.Step(1, 3, "Cloning "+src.String())
	pr, pw := io.Pipe()
	type result struct {
		prov *lambda.Provenance
		err  error
	}
	cloned := make(chan result, 1)
	go func() {
		prov, err := e.Cloner.Clone(ctx, src, pw)
		pw.CloseWithError(err) // nil: the extraction sees the end of the tree
		cloned <- result{prov, err}
	}()
	sum, xerr := e.Extract(pr, dir)
	pr.CloseWithError(errExtractDone) // stops the clone if the extraction stopped early
	res := <-cloned
	switch {
	case res.err != nil && !errors.Is(res.err, errExtractDone):
		return "", nil, res.err
	case xerr != nil:
		return "", nil, fmt.Errorf("the tree of %s: %w", src.String(), xerr)
	}
	p.Log(fmt.Sprintf("Cloned %s at %s\n", lambda.RedactURL(src.URL), res.prov.Commit))
	return sum, res.prov, nil
}

// errExtractDone tells the cloner that nobody reads its tree any more.
var errExtractDone = errors.New("the extraction of the tree ended")
