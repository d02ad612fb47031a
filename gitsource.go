package lambda

import (
	"context"
	"io"
	"net/url"
	"path"
	"strings"
)

// GitSource names the tree a deploy from git takes: a repository, a ref in
// it and, optionally, a directory below its root.
type GitSource struct {
	// URL is the repository's https://, http:// or git:// address.
	URL string `json:"url"`
	// Ref is a branch, a tag or a commit SHA ("": the remote's HEAD).
	Ref string `json:"ref,omitempty"`
	// Subdir is the directory of the repository to deploy ("": its root).
	Subdir string `json:"subdir,omitempty"`
	// Commit, when set, is the full SHA of the commit to deploy, which Ref
	// (a branch) named: a push's deploy takes the pushed commit even when
	// the branch has moved on since, and its version records both.
	Commit string `json:"commit,omitempty"`
	// Token authenticates an https clone of a private repository, for this
	// deploy only. It is never stored, logged or marshalled: JSON leaves it
	// out, so it crosses the API only in a wire type of its own.
	Token string `json:"-"`
}

// Provenance says where a version's code came from.
type Provenance struct {
	// Repository is the URL cloned, without credentials.
	Repository string `json:"repository"`
	// Ref is the ref asked for, as the user gave it ("" for HEAD).
	Ref string `json:"ref,omitempty"`
	// Commit is the full SHA of the commit deployed.
	Commit string `json:"commit"`
	// Subdir is the directory of the repository deployed ("": its root).
	Subdir string `json:"subdir,omitempty"`
}

// Cloner fetches a GitSource. The engine owns this interface; the git
// package implements it.
type Cloner interface {
	// Clone fetches the commit src.Ref names and writes its tree below
	// src.Subdir to w as a tar.gz (the form of an upload, so the same
	// extraction rules apply), within the cloner's limits of size, file
	// count and time. Errors are *Error values that tell the user what to
	// do: EINVALID (bad URL, missing ref or subdir, unreachable server),
	// ETOOLARGE (over a limit), ETIMEOUT (the time limit).
	Clone(ctx context.Context, src GitSource, w io.Writer) (*Provenance, error)
}

// GitDeployer deploys a repository's tree whatever it holds.
type GitDeployer interface {
	// DeployGit clones req.Git and deploys the project its lambda.yaml
	// declares (named project, when that is not ""), else the one
	// function req.Name, like an upload of the tree. A single function's
	// deploy is the result's only entry.
	DeployGit(ctx context.Context, req DeployRequest, project string) (*ProjectDeployment, error)
}

// Limits of a GitSource's fields.
const (
	maxGitURL    = 2048
	maxGitRef    = 255
	maxGitSubdir = 1024
)

// Validate reports the first field of g that cannot name a repository, a
// ref or a directory in it. Only network schemes are accepted: a file://
// URL or a path would let a caller deploy any repository on the server.
func (g GitSource) Validate() error {
	u, err := url.Parse(g.URL)
	switch {
	case g.URL == "":
		return Errorf(EINVALID, "git URL is empty: give the repository's https:// address")
	case len(g.URL) > maxGitURL:
		return Errorf(EINVALID, "git URL is longer than %d bytes", maxGitURL)
	case err != nil:
		return Errorf(EINVALID, "git URL %q is not a URL: give the repository's https:// address", RedactURL(g.URL))
	case u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "git":
		return Errorf(EINVALID, "git URL %q: scheme %q is not supported: use https:// (or http://, git://)", RedactURL(g.URL), u.Scheme)
	case u.Host == "":
		return Errorf(EINVALID, "git URL %q has no host", RedactURL(g.URL))
	case u.User != nil:
		if _, has := u.User.Password(); has {
			return Errorf(EINVALID, "git URL %q carries a password: pass the token with --git-token instead, so that it is never stored", RedactURL(g.URL))
		}
	}
	switch {
	case g.Token != "" && u.Scheme == "git":
		return Errorf(EINVALID, "git:// has no authentication, so a token cannot be used with it: use the repository's https:// URL")
	case g.Token != "" && u.Scheme != "https" && !loopbackHost(u.Hostname()):
		return Errorf(EINVALID, "a git token is sent only over https: use the repository's https:// URL")
	}
	if err := validateRef(g.Ref); err != nil {
		return err
	}
	if g.Commit != "" && !isSHA(g.Commit) {
		return Errorf(EINVALID, "git commit %.50q is not a full commit SHA", g.Commit)
	}
	return validateSubdir(g.Subdir)
}

func validateRef(ref string) error {
	switch {
	case len(ref) > maxGitRef:
		return Errorf(EINVALID, "git ref is longer than %d bytes", maxGitRef)
	case strings.HasPrefix(ref, "-"):
		return Errorf(EINVALID, "git ref %q may not start with '-'", ref)
	case strings.Contains(ref, ".."), strings.ContainsAny(ref, " ~^:?*[\\"):
		return Errorf(EINVALID, "git ref %q is not a valid branch, tag or commit SHA", ref)
	}
	for _, r := range ref {
		if r < 0x20 || r == 0x7f {
			return Errorf(EINVALID, "git ref %q contains a control character", ref)
		}
	}
	return nil
}

func validateSubdir(dir string) error {
	if dir == "" {
		return nil
	}
	clean := path.Clean(dir)
	switch {
	case len(dir) > maxGitSubdir:
		return Errorf(EINVALID, "git subdir is longer than %d bytes", maxGitSubdir)
	case strings.ContainsRune(dir, 0), strings.ContainsRune(dir, '\\'):
		return Errorf(EINVALID, "git subdir %q must be a relative path with forward slashes", dir)
	case path.IsAbs(clean), clean == "..", strings.HasPrefix(clean, "../"):
		return Errorf(EINVALID, "git subdir %q must be a path inside the repository, like functions/api", dir)
	}
	return nil
}

// CleanSubdir returns g.Subdir as a clean relative path ("" for the root).
func (g GitSource) CleanSubdir() string {
	if g.Subdir == "" {
		return ""
	}
	if c := path.Clean(g.Subdir); c != "." {
		return c
	}
	return ""
}

func loopbackHost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// RedactURL returns raw without the user information (a user name or
// token) it may carry, for logs, errors and the version's provenance.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if i := strings.Index(raw, "@"); err != nil && i >= 0 {
			// Unparseable: drop anything up to an '@' that may be a secret.
			if j := strings.Index(raw, "://"); j >= 0 && j < i {
				return raw[:j+3] + "***@" + raw[i+1:]
			}
			return "***@" + raw[i+1:]
		}
		return raw
	}
	u.User = nil
	return u.String()
}

// String describes g for logs: its URL without credentials, never a token.
func (g GitSource) String() string {
	s := RedactURL(g.URL)
	if g.Ref != "" {
		s += "@" + g.Ref
	}
	if g.Commit != "" {
		s += " at " + ShortCommit(g.Commit)
	}
	if g.Subdir != "" {
		s += " (" + g.Subdir + ")"
	}
	return s
}

// ShortCommit is the first 12 characters of a commit SHA, for tables.
func ShortCommit(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
