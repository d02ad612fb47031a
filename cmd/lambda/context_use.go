package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newContextUseCommand(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:   "use NAME",
		Short: "Make a context the current one (default: none)",
		Long: `Use makes NAME the context of every later command (until --context or
LAMBDA_CONTEXT says otherwise). "lambda context use default" leaves any context:
flags, environment and defaults only.`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runContextUse(s, args[0])
		},
	}
}

func runContextUse(s *streams, name string) error {
	path, err := contextsPath()
	if err != nil {
		return err
	}
	cfg, err := loadContexts(path)
	if err != nil {
		return err
	}
	if name != defaultContext && cfg.Contexts[name] == nil {
		return unknownContext(name, "the command line", cfg)
	}
	cfg.Current = name
	if name == defaultContext {
		cfg.Current = ""
	}
	if err := cfg.save(path); err != nil {
		return err
	}
	if name == defaultContext {
		fmt.Fprintln(s.Out, "Using no context: flags, environment and defaults only")
		return nil
	}
	fmt.Fprintf(s.Out, "Using context %q (%s)\n", name, cfg.Contexts[name].Server)
	return nil
}
