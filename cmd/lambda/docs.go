package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

//go:generate go run . docs ../../docs/cli

// docsDir is where the CLI reference lives, from the repository's root.
const docsDir = "docs/cli"

// regenerateDocs is the command that rewrites the reference; the staleness
// test prints it.
const regenerateDocs = "go run ./cmd/lambda docs"

// newDocsCommand is the hidden "lambda docs [DIR]": it writes one Markdown
// page per command, generated from the commands themselves (cobra's doc
// generator), so the reference says what --help says.
func newDocsCommand(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:    "docs [DIR]",
		Short:  "Write the CLI reference, a Markdown page per command, into DIR (default " + docsDir + ")",
		Hidden: true,
		Args:   argsRange(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := docsDir
			if len(args) == 1 {
				dir = args[0]
			}
			pinDocsEnv(os.Setenv)
			n, err := writeDocs(dir)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.Err, "Wrote %d pages to %s.\n", n, dir)
			return nil
		},
	}
}

// pinDocsEnv clears what flag defaults are read from (LAMBDA_* variables,
// the data directory's), so that the pages are the same on every machine:
// a default taken from the environment reads as the built-in one, the home
// directory as "~".
func pinDocsEnv(set func(key, value string) error) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "LAMBDA_") {
			_ = set(k, "")
		}
	}
	_ = set("XDG_DATA_HOME", "")
	_ = set("XDG_CONFIG_HOME", "")
	_ = set("HOME", "~")
}

// writeDocs replaces the pages in dir with those of a fresh command tree
// and returns how many it wrote. Pages of commands that no longer exist go.
func writeDocs(dir string) (int, error) {
	root := newRootCommand(&streams{In: strings.NewReader(""), Out: os.Stdout, Err: os.Stderr})
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	walkCommands(root, func(c *cobra.Command) { c.DisableAutoGenTag = true }) // no date: the same pages every day
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	old, err := filepath.Glob(filepath.Join(dir, "lambda*.md"))
	if err != nil {
		return 0, err
	}
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return 0, err
		}
	}
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		return 0, fmt.Errorf("write the CLI reference in %s: %w", dir, err)
	}
	pages, err := filepath.Glob(filepath.Join(dir, "lambda*.md"))
	return len(pages), err
}
