package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newRuntimesPrepareCommand(s *streams, root *rootOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "prepare",
		Short: "Make every runtime's images available on the server's host",
		Long: `Prepare makes the images the runtimes build on available on the server's
Docker host: each one already present is kept, a missing one is pulled where a
registry answers, and otherwise assembled locally (the Python and Node base
images from the server host's Debian packages; the shim and the runtime images
are built). Without a registry the first run takes about a minute.`,
		Example: `  lambda runtimes prepare`,
		Args:    argsRange(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRuntimesPrepare(cmd.Context(), s, root)
		},
	}
}

func runRuntimesPrepare(ctx context.Context, s *streams, root *rootOptions) error {
	p := &deployProgress{w: s.Err}
	if err := root.client().PrepareRuntimes(ctx, p.event); err != nil {
		p.fail()
		return err
	}
	p.finish()
	fmt.Fprintln(s.Out, "Runtimes are ready.")
	return nil
}
