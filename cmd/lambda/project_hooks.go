package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type projectHooksOptions struct {
	out listOutput
}

func newProjectHooksCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &projectHooksOptions{}
	cmd := &cobra.Command{
		Use:   "hooks",
		Short: "List the push-to-deploy webhooks and their last deliveries",
		Long: `Hooks lists the webhooks with the last push each deployed, or tried to:
its commit, its status (deploying, deployed or failed, with the reason) and
its deploy ID.`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProjectHooks(cmd.Context(), s, root, o)
		},
	}
	addListFlags(cmd, &o.out, "IDs")
	return cmd
}

func runProjectHooks(ctx context.Context, s *streams, root *rootOptions, o *projectHooksOptions) error {
	if err := o.out.check(); err != nil {
		return err
	}
	hooks, err := root.client().ListHooks(ctx)
	if err != nil {
		return err
	}
	if o.out.data() {
		return o.out.print(s.Out, hooks)
	}
	if o.out.quiet {
		ids := make([]string, len(hooks))
		for i, h := range hooks {
			ids[i] = h.ID
		}
		return printQuiet(s.Out, ids)
	}
	now := time.Now()
	tw := newTable(s.Out)
	fmt.Fprintln(tw, "ID\tPROJECT\tREPOSITORY\tBRANCH\tLAST COMMIT\tSTATUS\tDEPLOY\tWHEN")
	for _, h := range hooks {
		commit, status, deploy, when := "-", "-", "-", "-"
		if d := h.Last; d != nil {
			commit, status, deploy, when = lambda.ShortCommit(d.Commit), d.Status, d.DeployID, age(now, d.ReceivedAt)
			if d.Error != "" {
				status += ": " + d.Error
			}
		}
		repo := h.Repository
		if h.Subdir != "" {
			repo += " (" + h.Subdir + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.Project, repo, h.Branch, commit, status, deploy, when)
	}
	return tw.Flush()
}
