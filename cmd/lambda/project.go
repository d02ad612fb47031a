package main

import (
	"github.com/spf13/cobra"
)

// newProjectCommand groups the commands about projects: push-to-deploy
// webhooks for now (the deploy itself is lambda deploy).
func newProjectCommand(s *streams, root *rootOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "project",
		Short: "Push-to-deploy webhooks of projects",
		Long: `Project manages what belongs to a project as a whole. A project (or a single
function) is deployed with "lambda deploy DIR" or "lambda deploy --git URL".

"lambda project hook NAME --git URL" registers a webhook: each push to the
tracked branch that the hook's secret signs redeploys NAME from the pushed
commit.`,
		Args: argsRange(0, 0),
	}
	cmd.AddCommand(newProjectHookCommand(s, root), newProjectHooksCommand(s, root))
	return cmd
}
