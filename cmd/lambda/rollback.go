package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type rollbackOptions struct {
	to     int
	toSet  bool // --to was given: 0 is then an error, not "the previous version"
	output string
}

func newRollbackCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &rollbackOptions{}
	cmd := &cobra.Command{
		Use:   "rollback NAME",
		Short: "Serve an earlier version of a function again",
		Long: `Rollback makes an earlier version active again, code and configuration
together. Without --to it goes back to the version before the active one.
A version whose image was pruned (PRUNED in "lambda versions": the server keeps
the images of the newest --keep-versions versions) cannot serve again: deploy
its code again instead.`,
		Example: `  lambda rollback greet
  lambda rollback greet --to 2`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.toSet = cmd.Flags().Changed("to")
			return runRollback(cmd.Context(), s, root, o, args[0])
		},
	}
	cmd.Flags().IntVar(&o.to, "to", 0, "version to serve, from 1 (default: the one before the active version)")
	addOutputFlag(cmd, &o.output)
	return cmd
}

func runRollback(ctx context.Context, s *streams, root *rootOptions, o *rollbackOptions, name string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	if o.toSet && lambda.ValidateVersion(o.to) != nil {
		return usageErrorf("--to %d is invalid: versions are numbered from 1 (see \"lambda versions %s\"); leave out --to for the version before the active one", o.to, name)
	}
	fn, err := root.client().Rollback(ctx, name, o.to)
	if err != nil {
		return err
	}
	if o.output == outputJSON {
		return printJSON(s.Out, fn)
	}
	version := o.to
	if fn.Active != nil {
		version = fn.Active.Number
	}
	fmt.Fprintf(s.Out, "Rolled back function %q to version %d\n", name, version)
	return nil
}
