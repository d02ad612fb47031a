package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

type listOptions struct {
	out listOutput
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
	addListFlags(cmd, &o.out, "names")
	return cmd
}

func runList(ctx context.Context, s *streams, root *rootOptions, o *listOptions) error {
	if err := o.out.check(); err != nil {
		return err
	}
	fns, err := root.client().ListFunctions(ctx)
	if err != nil {
		return err
	}
	if o.out.data() {
		return o.out.print(s.Out, fns)
	}
	if o.out.quiet {
		names := make([]string, len(fns))
		for i, f := range fns {
			names[i] = f.Name
		}
		return printQuiet(s.Out, names)
	}
	if len(fns) == 0 {
		fmt.Fprintln(s.Err, `No functions yet: deploy one with "lambda deploy DIR".`)
		return nil
	}
	now := time.Now()
	p := painter{on: colours(s, root.noColor)}
	tw := newTable(s.Out)
	fmt.Fprintf(tw, "NAME\tVERSION\tRUNTIME\t%s\tURL\tUPDATED\n", p.header("STATUS"))
	for _, f := range fns {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, versionCell(f.Version), orDash(f.Runtime), p.status(orDash(f.Status)), orDash(f.URL), age(now, f.UpdatedAt))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
