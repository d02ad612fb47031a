package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type deleteOptions struct{}

func newDeleteCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &deleteOptions{}
	cmd := &cobra.Command{
		Use:     "delete NAME",
		Aliases: []string{"rm"},
		Short:   "Delete a function with its versions, instances and schedules",
		Args:    argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDelete(cmd.Context(), s, root, o, args[0])
		},
	}
	return cmd
}

func runDelete(ctx context.Context, s *streams, root *rootOptions, _ *deleteOptions, name string) error {
	if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	if err := root.client().DeleteFunction(ctx, name); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "Deleted function %q\n", name)
	return nil
}
