package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

type scheduleDeleteOptions struct{}

func newScheduleDeleteCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &scheduleDeleteOptions{}
	cmd := &cobra.Command{
		Use:     "delete ID",
		Aliases: []string{"rm"},
		Short:   "Delete a schedule",
		Args:    argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScheduleDelete(cmd.Context(), s, root, o, args[0])
		},
	}
	return cmd
}

func runScheduleDelete(ctx context.Context, s *streams, root *rootOptions, _ *scheduleDeleteOptions, id string) error {
	if id == "" {
		return usageErrorf(`schedule ID is empty: see "lambda schedule list"`)
	}
	if err := root.client().DeleteSchedule(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "Deleted schedule %s\n", id)
	return nil
}
