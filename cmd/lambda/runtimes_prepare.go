package main

import (
	"context"
	"fmt"
	"regexp"

	"github.com/spf13/cobra"
)

type runtimesPrepareOptions struct {
	verbose, quiet bool
}

func newRuntimesPrepareCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &runtimesPrepareOptions{}
	cmd := &cobra.Command{
		Use:   "prepare",
		Short: "Make every runtime's images available on the server's host",
		Long: `Prepare makes the images the runtimes build on available on the server's
Docker host: each one already present is kept, a missing one is pulled where a
registry answers, and otherwise assembled locally (the Python and Node base
images from the server host's Debian packages, tagged under names that say what
they hold, e.g. lambda-base/python:3.11-debian12; the shim and the runtime
images are built). Without a registry the first run takes about a minute.

Progress shows one line per step and per build step; --verbose shows the whole
log (apt and Docker output), which is also shown when a step fails. Several
servers sharing one Docker engine may prepare at the same time.`,
		Example: `  lambda runtimes prepare
  lambda runtimes prepare --verbose
  lambda runtimes prepare --quiet && lambda deploy ./fn`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.verbose && o.quiet {
				return usageErrorf("--verbose and --quiet cannot be used together")
			}
			return runRuntimesPrepare(cmd.Context(), s, root, o)
		},
	}
	cmd.Flags().BoolVarP(&o.verbose, "verbose", "v", false, "show the whole log: apt, Docker and compiler output")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "show nothing but errors")
	return cmd
}

// prepareLine matches the server's own progress lines in a prepare log
// ("runtime python: building ...", "debian: importing ..."), which the
// default output keeps beside the Docker build steps.
var prepareLine = regexp.MustCompile(`^(go|shim|debian|python|node|runtime \w+|image \S+): `)

func runRuntimesPrepare(ctx context.Context, s *streams, root *rootOptions, o *runtimesPrepareOptions) error {
	p := newDeployProgress(s.Err, o.verbose, o.quiet)
	p.steps.keep = prepareLine.MatchString
	if err := root.client().PrepareRuntimes(ctx, p.event); err != nil {
		p.fail()
		return err
	}
	p.finish()
	if !o.quiet {
		fmt.Fprintln(s.Out, "Runtimes are ready.")
	}
	return nil
}
