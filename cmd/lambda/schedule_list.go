package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type scheduleListOptions struct {
	out listOutput
}

func newScheduleListCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &scheduleListOptions{}
	cmd := &cobra.Command{
		Use:     "list [NAME]",
		Aliases: []string{"ls"},
		Short:   "List schedules, of one function or all",
		Args:    argsRange(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			return runScheduleList(cmd.Context(), s, root, o, name)
		},
	}
	addListFlags(cmd, &o.out, "schedule IDs")
	return cmd
}

func runScheduleList(ctx context.Context, s *streams, root *rootOptions, o *scheduleListOptions, name string) error {
	if err := o.out.check(); err != nil {
		return err
	}
	if name != "" {
		if err := lambda.ValidateName(name); err != nil {
			return usageErrorf("%w", err)
		}
	}
	schedules, err := root.client().ListSchedules(ctx, name)
	if err != nil {
		return err
	}
	if o.out.data() {
		return o.out.print(s.Out, schedules)
	}
	if o.out.quiet {
		ids := make([]string, len(schedules))
		for i, sch := range schedules {
			ids[i] = sch.ID
		}
		return printQuiet(s.Out, ids)
	}
	if len(schedules) == 0 {
		fmt.Fprintln(s.Err, `No schedules yet: add one with "lambda schedule NAME --cron EXPR".`)
		return nil
	}
	tw := newTable(s.Out)
	fmt.Fprintln(tw, "ID\tFUNCTION\tCRON\tTZ\tOVERLAP\tNEXT RUN\tLAST RUN")
	for _, sch := range schedules {
		tz := sch.Timezone
		if tz == "" {
			tz = "UTC"
		}
		last := "-"
		if sch.LastRunAt != nil {
			last = timestamp(*sch.LastRunAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", sch.ID, sch.Function, sch.Cron, tz, orDash(sch.Overlap), timestamp(sch.NextRunAt), last)
	}
	return tw.Flush()
}
