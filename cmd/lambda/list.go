package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

type listOptions struct {
	output string
}

func newListCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List functions",
		Args:    argsRange(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runList(cmd.Context(), s, root, o)
		},
	}
	addOutputFlag(cmd, &o.output)
	return cmd
}

func runList(ctx context.Context, s *streams, root *rootOptions, o *listOptions) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	fns, err := root.client().ListFunctions(ctx)
	if err != nil {
		return err
	}
	if o.output == outputJSON {
		return printJSON(s.Out, fns)
	}
	if len(fns) == 0 {
		fmt.Fprintln(s.Err, `No functions yet: deploy one with "lambda deploy DIR".`)
		return nil
	}
	now := time.Now()
	tw := newTable(s.Out)
	fmt.Fprintln(tw, "NAME\tVERSION\tRUNTIME\tSTATUS\tURL\tUPDATED")
	for _, f := range fns {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", f.Name, f.Version, orDash(f.Runtime), orDash(f.Status), orDash(f.URL), age(now, f.UpdatedAt))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
