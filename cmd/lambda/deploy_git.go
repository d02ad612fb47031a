package main

import (
	"context"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/spf13/pflag"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// deployGitOptions are lambda deploy's flags of a deploy from git.
type deployGitOptions struct {
	url, ref, subdir string
	token, tokenFile string
	changed          func(string) bool
}

func (g *deployGitOptions) register(f *pflag.FlagSet) {
	f.StringVar(&g.url, "git", "", "deploy the tree of this repository (https://, http:// or git://), cloned by the server, instead of a directory")
	f.StringVar(&g.ref, "ref", "", "with --git: branch, tag or commit SHA to deploy (default: the repository's HEAD)")
	f.StringVar(&g.subdir, "subdir", "", "with --git: directory of the repository to deploy (default: its root)")
	f.StringVar(&g.token, "git-token", "", "with --git: access token of a private https repository, for this deploy only (else env LAMBDA_GIT_TOKEN); never stored")
	f.StringVar(&g.tokenFile, "git-token-file", "", "with --git: file holding the access token (keeps it out of the shell's history and ps)")
}

// runDeployGit asks the server to clone the repository and deploy its tree
// like an upload of it: the tree's lambda.yaml applies under the flags,
// and a project manifest deploys the project.
func runDeployGit(ctx context.Context, s *streams, root *rootOptions, o *deployOptions, g *deployGitOptions, args []string) error {
	switch {
	case len(args) > 0:
		return usageErrorf("--git deploys a repository: leave out DIR %q", args[0])
	case o.image != "" || o.archive != "":
		return usageErrorf("--git and --image or --image-archive are different sources: give one")
	case g.token != "" && g.tokenFile != "":
		return usageErrorf("--git-token and --git-token-file both give the token: use one")
	case o.only != "" || o.prune || o.prefix:
		return usageErrorf("--only, --prune and --prefix deploy a project from a directory; with --git the repository's lambda.yaml deploys the whole project as it declares it")
	}
	if g.changed == nil {
		g.changed = func(string) bool { return false }
	}
	if err := checkOutput(o.output); err != nil {
		return err
	}
	token, err := g.readToken()
	if err != nil {
		return err
	}
	src := lambda.GitSource{URL: g.url, Ref: g.ref, Subdir: g.subdir, Token: token}
	if err := src.Validate(); err != nil {
		return usageErrorf("%w", err)
	}
	name := o.name
	if name == "" {
		name = repoName(src)
		if err := lambda.ValidateName(name); err != nil {
			return usageErrorf("the function name %q taken from the repository's URL is not valid (%s): give one with --name", name, lambda.ErrorMessage(err))
		}
	} else if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	req, err := o.request(name, nil) // the server applies the tree's lambda.yaml under these
	if err != nil {
		return err
	}
	p := newDeployProgress(s.Err, o.verbose, o.quiet)
	p.buildStep = isBuildStep
	client := root.client()
	fn, err := client.DeployGit(ctx, name, req, lambdahttp.GitRequest{URL: src.URL, Ref: src.Ref, Subdir: src.Subdir, Token: token}, p.event)
	return finishDeploy(ctx, s, client, o, p, name, fn, err)
}

// readToken returns the token from --git-token, --git-token-file or
// LAMBDA_GIT_TOKEN, in that order; "" for none.
func (g *deployGitOptions) readToken() (string, error) {
	switch {
	case g.token != "":
		return g.token, nil
	case g.tokenFile != "":
		b, err := os.ReadFile(g.tokenFile)
		if err != nil {
			return "", usageErrorf("read --git-token-file: %w", err)
		}
		t := strings.TrimSpace(string(b))
		if t == "" {
			return "", usageErrorf("--git-token-file %s is empty", g.tokenFile)
		}
		return t, nil
	}
	return os.Getenv("LAMBDA_GIT_TOKEN"), nil
}

// repoName is the default function name of a deploy from git: the last
// directory of --subdir, else the repository's name without .git,
// lowercased.
func repoName(src lambda.GitSource) string {
	if sub := src.CleanSubdir(); sub != "" {
		return strings.ToLower(path.Base(sub))
	}
	u, err := url.Parse(src.URL)
	if err != nil {
		return ""
	}
	base := path.Base(strings.TrimSuffix(u.Path, "/"))
	return strings.ToLower(strings.TrimSuffix(base, ".git"))
}
