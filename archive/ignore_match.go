package archive

// Ignore answers, for a directory, which of its paths Pack leaves out:
// the patterns of its .dockerignore and .lambdaignore as Pack reads them.
// A watcher uses it to redeploy only on changes Pack would see.
type Ignore struct{ ig *ignorer }

// LoadIgnore reads dir's ignore files; EINVALID if a pattern is invalid.
func LoadIgnore(dir string) (*Ignore, error) {
	ig, err := loadIgnorer(dir)
	if err != nil {
		return nil, err
	}
	return &Ignore{ig: ig}, nil
}

// Excluded reports whether rel (slash-separated, relative to the
// directory) is left out of the archive. A pattern that cannot be matched
// counts as not excluding: a needless redeploy is better than a missed one.
func (i *Ignore) Excluded(rel string) bool {
	skip, err := i.ig.excluded(rel)
	return err == nil && skip
}

// Descend reports whether the directory rel may hold a path Pack packs:
// it is not excluded, or an exception pattern may bring back a path below
// it. Watching the others (node_modules, .git) would only cost watches.
func (i *Ignore) Descend(rel string) bool {
	return !i.Excluded(rel) || i.ig.mayReinclude(rel)
}

// IsIgnoreFile reports whether rel is one of the ignore files, whose
// change changes what Excluded answers.
func IsIgnoreFile(rel string) bool { return isIgnoreFile(rel) }
