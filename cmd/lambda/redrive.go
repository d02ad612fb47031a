package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type redriveOptions struct {
	ids    []string
	all    bool
	output string
}

func newRedriveCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &redriveOptions{}
	cmd := &cobra.Command{
		Use:   "redrive NAME (--id ID ... | --all)",
		Short: "Queue dead invocations of a function again",
		Long: `Redrive queues dead invocations (those that ran out of retries or of event
age) again, with fresh attempts and the same IDs. Name them with --id (repeat it
or separate IDs with commas) or take every dead one with --all. List them with
"lambda invocations NAME --status dead".`,
		Example: `  lambda redrive greet --id 3f1c9a2e-6b1d-4e8f-9a0b-1c2d3e4f5a6b
  lambda redrive greet --all`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRedrive(cmd.Context(), s, root, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.ids, "id", nil, "ID of a dead invocation to queue again (repeatable)")
	f.BoolVar(&o.all, "all", false, "queue every dead invocation of the function again")
	addOutputFlag(cmd, &o.output)
	return cmd
}

func runRedrive(ctx context.Context, s *streams, root *rootOptions, o *redriveOptions, name string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	switch {
	case o.all && len(o.ids) > 0:
		return usageErrorf("use either --id or --all, not both")
	case !o.all && len(o.ids) == 0:
		return usageErrorf("name the invocations to redrive with --id ID, or pass --all for every dead one (list them with \"lambda invocations %s --status dead\")", name)
	}
	for _, id := range o.ids {
		if id == "" {
			return usageErrorf("--id is empty: pass an ID that \"lambda invocations %s --status dead\" lists", name)
		}
	}
	jobs, err := root.client().Redrive(ctx, name, o.ids, o.all)
	if err != nil {
		return err
	}
	if o.output == outputJSON {
		return printJSON(s.Out, jobs)
	}
	if len(jobs) == 0 {
		fmt.Fprintf(s.Err, "No dead invocations of %q to redrive.\n", name)
		return nil
	}
	tw := newTable(s.Out)
	fmt.Fprintln(tw, "ID\tSTATUS\tTRIGGER")
	for _, j := range jobs {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", j.ID, j.Status, j.Trigger)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// By ID first: an invoke key may redrive and follow a record by its ID,
	// not list the function's invocations, which takes a read key.
	fmt.Fprintf(s.Err, "Queued %d invocation(s) of %q again: follow one with \"lambda invocation %s\", or all with \"lambda invocations %s\" (a read key).\n", len(jobs), name, jobs[0].ID, name)
	return nil
}
