package main

import (
	"fmt"
	"io"
	"log/slog"
)

// newLogger is the log of a platform (lambda server, lambda bench): text
// for people, JSON lines for a log collector, both through slog.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q is invalid: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q is invalid: use text (for people) or json (one JSON object per line, for a log collector)", format)
}
