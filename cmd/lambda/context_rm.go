package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newContextRmCommand(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:     "rm NAME",
		Aliases: []string{"remove", "delete"},
		Short:   "Remove a context (and the key login saved in it)",
		Args:    argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runContextRm(s, args[0])
		},
	}
}

func runContextRm(s *streams, name string) error {
	path, err := contextsPath()
	if err != nil {
		return err
	}
	cfg, err := loadContexts(path)
	if err != nil {
		return err
	}
	if cfg.Contexts[name] == nil {
		return unknownContext(name, "the command line", cfg)
	}
	delete(cfg.Contexts, name)
	wasCurrent := cfg.Current == name
	if wasCurrent {
		cfg.Current = ""
	}
	if err := cfg.save(path); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "Removed context %q\n", name)
	if wasCurrent {
		fmt.Fprintln(s.Err, "It was the current context: commands now use flags, environment and defaults (lambda context use NAME picks another)")
	}
	return nil
}
