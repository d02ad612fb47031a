package git

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/lambdahq/lambda"
)

// fetched is the ref a clone fetches into its own repository.
const fetched = "refs/lambda/fetched"

// fetcher fetches the one commit a GitSource names into fs.
type fetcher struct {
	src  lambda.GitSource
	auth transport.AuthMethod
	fs   *limitFS
}

// fetch resolves src.Ref against the remote's refs and fetches that
// commit alone (depth 1). A SHA no ref points at is asked for directly,
// and, when the server refuses that, by fetching the whole history of its
// branches and tags: the size limit still bounds it.
func (f *fetcher) fetch(ctx context.Context) (*object.Commit, error) {
	remote := gogit.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{f.src.URL}})
	refs, err := remote.ListContext(ctx, listOptions(f.auth))
	if err != nil {
		return nil, err
	}
	name, sha, err := resolve(f.src.Ref, refs)
	if errors.Is(err, errRefNotFound) {
		return nil, missingRef(f.src, refs)
	}
	if err != nil {
		return nil, err
	}
	repo, err := gogit.Init(filesystem.NewStorage(f.fs, cache.NewObjectLRUDefault()), nil)
	if err != nil {
		return nil, f.limited(fmt.Errorf("git: init: %w", err))
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{f.src.URL}}); err != nil {
		return nil, fmt.Errorf("git: remote: %w", err)
	}
	if name != "" {
		err = f.fetchSpecs(ctx, repo, 1, config.RefSpec("+"+name+":"+fetched))
		if err != nil {
			return nil, f.limited(err)
		}
		ref, err := repo.Reference(fetched, true)
		if err != nil {
			return nil, fmt.Errorf("git: fetched ref: %w", err)
		}
		c, err := peel(repo, ref.Hash())
		if err != nil {
			return nil, err
		}
		want := strings.ToLower(f.src.Ref)
		if !isHex(want) || len(want) < 7 || strings.HasPrefix(c.Hash.String(), want) || name == "refs/heads/"+f.src.Ref || name == "refs/tags/"+f.src.Ref {
			return c, nil
		}
		// The SHA named a ref's tip when the refs were listed, and the
		// ref has moved since (a push): the SHA is fetched on its own.
		if len(want) < 40 {
			return nil, lambda.Errorf(lambda.EINVALID, "commit %s of %s moved while it was fetched: give the full commit SHA with --ref", want, lambda.RedactURL(f.src.URL))
		}
		sha = want
	}
	// A commit by its SHA: exactly, if the server serves unadvertised
	// objects; else with the history that contains it.
	h := plumbing.NewHash(sha)
	if err := f.fetchSpecs(ctx, repo, 1, config.RefSpec("+"+sha+":"+fetched)); err == nil {
		return peel(repo, h)
	} else if f.fs.exceeded.Load() || ctx.Err() != nil {
		return nil, f.limited(err)
	}
	err = f.fetchSpecs(ctx, repo, 0, "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
	if err != nil {
		return nil, f.limited(err)
	}
	c, err := peel(repo, h)
	if err != nil {
		return nil, missingRef(f.src, refs)
	}
	return c, nil
}

func (f *fetcher) fetchSpecs(ctx context.Context, repo *gogit.Repository, depth int, specs ...config.RefSpec) error {
	err := repo.FetchContext(ctx, &gogit.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   specs,
		Depth:      depth,
		Auth:       f.auth,
		Tags:       gogit.NoTags,
	})
	if errors.Is(err, gogit.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}

// limited replaces err by errTooLarge when it is the size limit that
// failed the fetch, whatever go-git wrapped it in.
func (f *fetcher) limited(err error) error {
	if f.fs.exceeded.Load() {
		return errTooLarge
	}
	return err
}

// peel returns the commit h names, through an annotated tag.
func peel(repo *gogit.Repository, h plumbing.Hash) (*object.Commit, error) {
	if tag, err := repo.TagObject(h); err == nil {
		return tag.Commit()
	}
	return repo.CommitObject(h)
}

// resolve finds ref among the remote's refs: a branch, then a tag, then a
// full ref name, then a commit SHA (or its prefix of at least 7 digits) a
// ref points at. It returns the ref name to fetch, or, for a full SHA no
// ref points at, that SHA alone.
func resolve(ref string, refs []*plumbing.Reference) (name, sha string, err error) {
	byName := make(map[string]*plumbing.Reference, len(refs))
	for _, r := range refs {
		byName[r.Name().String()] = r
	}
	if ref == "" || ref == "HEAD" {
		head, ok := byName["HEAD"]
		if !ok {
			return "", "", lambda.Errorf(lambda.EINVALID, "the repository has no HEAD (it may be empty): give a branch or tag with --ref")
		}
		if head.Type() == plumbing.SymbolicReference {
			return head.Target().String(), "", nil
		}
		return "HEAD", "", nil
	}
	for _, candidate := range []string{"refs/heads/" + ref, "refs/tags/" + ref, ref} {
		if _, ok := byName[candidate]; ok && strings.HasPrefix(candidate, "refs/") {
			return candidate, "", nil
		}
	}
	if isHex(ref) && len(ref) >= 7 && len(ref) <= 40 {
		ref = strings.ToLower(ref)
		names := make([]string, 0, len(refs))
		for n := range byName {
			names = append(names, n)
		}
		sort.Strings(names) // the same choice every time
		for _, n := range names {
			r := byName[n]
			if r.Type() == plumbing.HashReference && strings.HasPrefix(r.Hash().String(), ref) {
				// A peeled tag (v1^{}) is fetched by its tag's name.
				return strings.TrimSuffix(n, "^{}"), "", nil
			}
		}
		if len(ref) == 40 {
			return "", ref, nil
		}
	}
	return "", "", errRefNotFound
}

var errRefNotFound = errors.New("git: ref not found")

// missingRef says that src.Ref is not in the repository and what is.
func missingRef(src lambda.GitSource, refs []*plumbing.Reference) error {
	var branches, tags []string
	for _, r := range refs {
		n := r.Name().String()
		switch {
		case strings.HasSuffix(n, "^{}"):
		case strings.HasPrefix(n, "refs/heads/"):
			branches = append(branches, strings.TrimPrefix(n, "refs/heads/"))
		case strings.HasPrefix(n, "refs/tags/"):
			tags = append(tags, strings.TrimPrefix(n, "refs/tags/"))
		}
	}
	return lambda.Errorf(lambda.EINVALID, "ref %q does not exist in %s: its branches are %s and its tags %s; give one of them (or a full commit SHA) with --ref",
		src.Ref, lambda.RedactURL(src.URL), listSome(branches), listSome(tags))
}

// listSome lists up to 10 names, sorted.
func listSome(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	sort.Strings(names)
	if len(names) > 10 {
		return strings.Join(names[:10], ", ") + fmt.Sprintf(" and %d more", len(names)-10)
	}
	return strings.Join(names, ", ")
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}
