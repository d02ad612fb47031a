package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// usageError marks a mistake in the command line itself, as opposed to a
// failure while running it: only these are followed by the usage line.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// argsRange accepts between min and max positional arguments (max < 0: no
// limit), naming what is expected from the command's Use line.
func argsRange(min, max int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) >= min && (max < 0 || len(args) <= max) {
			return nil
		}
		want := strings.Join(strings.Fields(c.Use)[1:], " ")
		if want == "" {
			want = "no arguments"
		}
		return usageErrorf("wrong number of arguments: expected %s, got %d", want, len(args))
	}
}

// printError reports err as "Error: <message>", plus how to use cmd when
// the command line was wrong.
func printError(w io.Writer, cmd *cobra.Command, err error) {
	msg := strings.TrimRight(err.Error(), "\n")
	if errors.Is(err, context.Canceled) {
		msg = "interrupted"
	}
	fmt.Fprintf(w, "Error: %s\n", msg)
	var ue *usageError
	switch {
	case cmd == nil:
	case errors.As(err, &ue):
		fmt.Fprintf(w, "Usage: %s\nRun '%s --help' for more information.\n", cmd.UseLine(), cmd.CommandPath())
	case strings.HasPrefix(msg, "unknown command"):
		// Cobra's own error for a mistyped command name.
		fmt.Fprintf(w, "Run '%s --help' for a list of commands.\n", cmd.CommandPath())
	}
}
