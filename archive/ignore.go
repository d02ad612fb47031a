package archive

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	lambda "github.com/lambdahq/lambda"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// ignoreFiles are read in this order, so an exception in .lambdaignore can
// bring back what .dockerignore excluded.
var ignoreFiles = []string{".dockerignore", ".lambdaignore"}

// ignorer decides which paths (slash-separated, relative to the packed
// directory) stay out of the archive.
type ignorer struct {
	pm *patternmatcher.PatternMatcher // nil when no patterns
}

func loadIgnorer(dir string) (*ignorer, error) {
	var all []string
	for _, name := range ignoreFiles {
		p := filepath.Join(dir, name)
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, lambda.Errorf(lambda.EINVALID, "cannot read %s: %w", p, err)
		}
		patterns, err := ignorefile.ReadAll(f)
		f.Close()
		if err == nil {
			_, err = patternmatcher.New(patterns)
		}
		if err != nil {
			return nil, lambda.Errorf(lambda.EINVALID, "invalid pattern in %s: %w; fix the file (dockerignore syntax)", p, err)
		}
		all = append(all, patterns...)
	}
	if len(all) == 0 {
		return &ignorer{}, nil
	}
	pm, err := patternmatcher.New(all)
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "invalid ignore patterns in %s: %w", dir, err)
	}
	return &ignorer{pm: pm}, nil
}

// excluded reports whether rel is left out. The ignore files themselves are
// always packed: they document what the archive deliberately lacks.
func (ig *ignorer) excluded(rel string) (bool, error) {
	if ig.pm == nil || isIgnoreFile(rel) {
		return false, nil
	}
	return ig.pm.MatchesOrParentMatches(rel)
}

func isIgnoreFile(rel string) bool {
	for _, name := range ignoreFiles {
		if rel == name {
			return true
		}
	}
	return false
}

// mayReinclude reports whether some exception pattern could match a path
// inside the excluded directory dir, in which case the walk must descend.
// It errs towards true: descending needlessly only costs time, since every
// path found below is matched on its own.
func (ig *ignorer) mayReinclude(dir string) bool {
	if ig.pm == nil || !ig.pm.Exclusions() {
		return false
	}
	for _, p := range ig.pm.Patterns() {
		if p.Exclusion() && prefixCouldMatch(filepath.ToSlash(p.String()), dir) {
			return true
		}
	}
	return false
}

// prefixCouldMatch reports whether pattern, compared component by component
// with dir, agrees with dir so far: then it can match dir itself, a path
// below dir, or (when shorter) a parent of them.
func prefixCouldMatch(pattern, dir string) bool {
	pc := strings.Split(pattern, "/")
	dc := strings.Split(dir, "/")
	for i := 0; i < len(pc) && i < len(dc); i++ {
		if strings.Contains(pc[i], "**") {
			return true
		}
		ok, err := path.Match(pc[i], dc[i])
		if err != nil || !ok {
			return err != nil // a pattern we cannot judge: descend to be safe
		}
	}
	return true
}
