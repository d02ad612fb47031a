package main

import (
	"fmt"
	"os"
	"strings"

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
	warnEnvironmentOverrides(s, name)
	return nil
}

// warnEnvironmentOverrides says which variables of this shell outrank the
// context just made current (as docker context use warns of DOCKER_HOST).
func warnEnvironmentOverrides(s *streams, name string) {
	if env := strings.TrimSpace(os.Getenv("LAMBDA_CONTEXT")); env != "" && env != name {
		fmt.Fprintf(s.Err, "Warning: LAMBDA_CONTEXT=%s is set: commands in this shell use that context; unset LAMBDA_CONTEXT to use %q\n", env, name)
		return
	}
	for _, v := range []string{"LAMBDA_SERVER", "LAMBDA_API_KEY", "LAMBDA_CA_CERT"} {
		if env := strings.TrimSpace(os.Getenv(v)); env != "" {
			shown := env
			if v == "LAMBDA_API_KEY" {
				shown = "…" // a secret
			}
			fmt.Fprintf(s.Err, "Warning: %s=%s is set: it outranks the context's setting in this shell (unset %s, or pass --context %s)\n", v, shown, v, name)
		}
	}
}
