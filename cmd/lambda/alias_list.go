package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

type aliasListOptions struct{ out listOutput }

func newAliasListCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &aliasListOptions{}
	cmd := &cobra.Command{
		Use:     "list NAME",
		Short:   "List a function's aliases and where they send traffic",
		Example: `  lambda alias list greet`,
		Args:    argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAliasList(cmd.Context(), s, root, o, args[0])
		},
	}
	addListFlags(cmd, &o.out, "alias names")
	return cmd
}

func runAliasList(ctx context.Context, s *streams, root *rootOptions, o *aliasListOptions, function string) error {
	if err := o.out.check(); err != nil {
		return err
	}
	if err := checkAliasArgs(function, "live"); err != nil {
		return err
	}
	list, err := root.client().ListAliases(ctx, function)
	if err != nil {
		return err
	}
	if o.out.data() {
		return o.out.print(s.Out, list)
	}
	if o.out.quiet {
		names := make([]string, len(list))
		for i, a := range list {
			names[i] = a.Name
		}
		return printQuiet(s.Out, names)
	}
	tw := newTable(s.Out)
	fmt.Fprintln(tw, "ALIAS\tVERSION\tADDITIONAL\tWEIGHT\tDESCRIPTION\tUPDATED")
	now := time.Now()
	for _, a := range list {
		additional, weight := "-", "-"
		if a.AdditionalVersion != 0 {
			additional, weight = strconv.Itoa(a.AdditionalVersion), formatWeight(a.Weight)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", a.Name, a.Version, additional, weight, orDash(a.Description), age(now, a.UpdatedAt))
	}
	return tw.Flush()
}
