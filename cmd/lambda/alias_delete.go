package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newAliasDeleteCommand(s *streams, root *rootOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete NAME ALIAS",
		Short: "Delete an alias (live cannot be deleted)",
		Long: `Delete removes ALIAS of function NAME: its address stops answering, and the
versions only it served stop once their requests finish.`,
		Example: `  lambda alias delete greet beta`,
		Args:    argsRange(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAliasDelete(cmd.Context(), s, root, args[0], args[1])
		},
	}
	return cmd
}

func runAliasDelete(ctx context.Context, s *streams, root *rootOptions, function, alias string) error {
	if alias == "live" {
		return usageErrorf("alias live cannot be deleted: plain requests use it (move it with \"lambda alias set %s live --version N\" or \"lambda rollback\")", function)
	}
	if err := checkAliasArgs(function, alias); err != nil {
		return err
	}
	if err := root.client().DeleteAlias(ctx, function, alias); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "Deleted alias %q of %q\n", alias, function)
	return nil
}
