package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

type runtimesOptions struct {
	out listOutput
}

func newRuntimesCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &runtimesOptions{}
	cmd := &cobra.Command{
		Use:   "runtimes",
		Short: "List the runtimes and whether the images they build on are present",
		Long: `Runtimes lists how the server builds functions (dockerfile, go, python, node,
image), the language version each one runs, and the images it needs on the
server's Docker host: base images (the interpreter: an official image, or one
assembled from the host's Debian packages under a name of our own such as
lambda-base/python:3.11-debian12), builder images (Go), the shim, and the
runtime images shared by all functions of a runtime. Make them all available
with "lambda runtimes prepare".`,
		Example: `  lambda runtimes
  lambda runtimes -o json
  lambda runtimes prepare`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRuntimes(cmd.Context(), s, root, o)
		},
	}
	addListFlags(cmd, &o.out, "runtime names")
	cmd.AddCommand(newRuntimesPrepareCommand(s, root))
	return cmd
}

func runRuntimes(ctx context.Context, s *streams, root *rootOptions, o *runtimesOptions) error {
	if err := o.out.check(); err != nil {
		return err
	}
	infos, err := root.client().ListRuntimes(ctx)
	if err != nil {
		return err
	}
	if o.out.data() {
		return o.out.print(s.Out, infos)
	}
	if o.out.quiet {
		names := make([]string, len(infos))
		for i, rt := range infos {
			names[i] = rt.Name
		}
		return printQuiet(s.Out, names)
	}
	tw := newTable(s.Out)
	fmt.Fprintln(tw, "NAME\tVERSION\tIMAGE\tROLE\tPRESENT")
	missing := 0
	for _, rt := range infos {
		version := rt.Version
		if version == "" {
			version = "-"
		}
		if len(rt.Images) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\n", rt.Name, version)
		}
		for _, img := range rt.Images {
			present := "no"
			switch {
			case img.Present:
				present = "yes"
			case img.Role != "builder": // Go builds fall back to the host's toolchain
				missing++
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", rt.Name, version, img.Name, img.Role, present)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if missing > 0 {
		fmt.Fprintln(s.Err, `Missing images are made on the first deploy that needs them; "lambda runtimes prepare" makes them all now.`)
	}
	return nil
}
