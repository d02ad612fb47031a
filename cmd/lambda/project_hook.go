package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

type projectHookOptions struct {
	token      deployGitOptions // --git-token, --git-token-file
	git        string
	branch     string
	subdir     string
	secretFile string
	output     string
}

func newProjectHookCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &projectHookOptions{}
	cmd := &cobra.Command{
		Use:   "hook NAME --git URL [--branch main]",
		Short: "Register a webhook that redeploys a project on a push",
		Long: `Hook registers a push-to-deploy webhook for project (or function) NAME and
prints its URL and secret. Set them as the repository's webhook (GitHub:
Settings > Webhooks, content type application/json, secret as printed, push
events): each push to --branch redeploys NAME from the pushed commit, like
"lambda deploy --git URL --ref COMMIT". The secret is shown this once; the
server keeps it encrypted with a key of its own.

The server answers a delivery at once (202, with the deploy's ID) and deploys
in the background: "lambda project hooks" shows the last delivery's commit
and outcome, "lambda versions" the commit each version came from. Deliveries
without a valid X-Hub-Signature-256 are refused (401, 403); pushes to other
branches are ignored; a delivery ID (X-GitHub-Delivery) deploys once however
often it is sent.

A private repository takes --git-token (or --git-token-file, or env
LAMBDA_GIT_TOKEN): the server keeps it sealed with the hook's secret, uses it
for the hook's clones only and never shows it again.`,
		Example: `  lambda project hook shop --git https://github.com/acme/shop.git --branch main
  lambda project hook shop --git https://github.com/acme/mono.git --subdir services/shop --secret-file hook.secret
  lambda project hook rm hk_1f2e3d4c5b6a7980`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProjectHook(cmd.Context(), s, root, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.git, "git", "", "URL of the repository (https://, http:// or git://)")
	f.StringVar(&o.branch, "branch", "main", "branch whose pushes deploy")
	f.StringVar(&o.subdir, "subdir", "", "directory of the repository to deploy (default: its root)")
	f.StringVar(&o.secretFile, "secret-file", "", "file holding the webhook secret (default: the server generates one)")
	f.StringVar(&o.token.token, "git-token", "", "access token of a private https repository (else env LAMBDA_GIT_TOKEN); the server keeps it sealed for the hook's clones")
	f.StringVar(&o.token.tokenFile, "git-token-file", "", "file holding the access token (keeps it out of the shell's history and ps)")
	addOutputFlag(cmd, &o.output)
	cmd.AddCommand(newProjectHookRmCommand(s, root))
	return cmd
}

func runProjectHook(ctx context.Context, s *streams, root *rootOptions, o *projectHookOptions, name string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if err := lambda.ValidateProjectName(name); err != nil {
		return usageErrorf("%w", err)
	}
	if o.git == "" {
		return usageErrorf("--git is required: the URL of the repository whose pushes deploy %s", name)
	}
	if o.token.token != "" && o.token.tokenFile != "" {
		return usageErrorf("--git-token and --git-token-file both give the token: use one")
	}
	token, err := o.token.readToken()
	if err != nil {
		return err
	}
	src := lambda.GitSource{URL: o.git, Ref: o.branch, Subdir: o.subdir, Token: token}
	if err := src.Validate(); err != nil {
		return usageErrorf("%w", err)
	}
	secret := ""
	if o.secretFile != "" {
		b, err := os.ReadFile(o.secretFile)
		if err != nil {
			return usageErrorf("read --secret-file: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	c := root.client()
	created, err := c.CreateHook(ctx, lambdahttp.HookRequest{Project: name, Repository: o.git, Branch: o.branch, Subdir: o.subdir, Secret: secret, Token: token})
	if err != nil {
		return err
	}
	url := c.BaseURL + created.Path
	if o.output == outputJSON {
		return printJSON(s.Out, struct {
			*lambdahttp.HookCreated
			URL string `json:"url"`
		}{created, url})
	}
	h := created.Hook
	fmt.Fprintf(s.Out, "Hook %s: pushes to %s of %s deploy %s\n", h.ID, h.Branch, h.Repository, h.Project)
	fmt.Fprintf(s.Out, "URL:     %s\n", url)
	if secret == "" {
		fmt.Fprintf(s.Out, "Secret:  %s\n", created.Secret)
		fmt.Fprintln(s.Err, "The secret is shown this once: set it as the webhook's secret (content type application/json).")
	} else {
		fmt.Fprintf(s.Out, "Secret:  the one in %s\n", o.secretFile)
	}
	return nil
}

func newProjectHookRmCommand(s *streams, root *rootOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "rm ID",
		Aliases: []string{"delete"},
		Short:   "Remove a webhook",
		Long:    `Rm removes a webhook by its ID ("lambda project hooks" lists them): its deliveries are refused from then on.`,
		Args:    argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := root.client().DeleteHook(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "Removed hook %s\n", args[0])
			return nil
		},
	}
}
