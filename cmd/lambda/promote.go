package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type promoteOptions struct{ output string }

func newPromoteCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &promoteOptions{}
	cmd := &cobra.Command{
		Use:   "promote NAME",
		Short: "Send all of live's traffic to its canary version",
		Long: `Promote ends a canary ("lambda deploy --canary"): the version that had a share
of live's traffic becomes the active version and gets all of it; the previous
version drains. "lambda rollback NAME" ends the canary the other way.`,
		Example: `  lambda deploy ./greet --canary 10%
  lambda promote greet`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPromote(cmd.Context(), s, root, o, args[0])
		},
	}
	addOutputFlag(cmd, &o.output)
	return cmd
}

func runPromote(ctx context.Context, s *streams, root *rootOptions, o *promoteOptions, name string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	fn, err := root.client().Promote(ctx, name)
	if err != nil {
		return err
	}
	if o.output == outputJSON {
		return printJSON(s.Out, fn)
	}
	version := 0
	if fn.Active != nil {
		version = fn.Active.Number
	}
	fmt.Fprintf(s.Out, "Promoted version %d of %q: it serves all of live's traffic\n", version, name)
	return nil
}
