package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type versionsOptions struct {
	out listOutput
}

func newVersionsCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &versionsOptions{}
	cmd := &cobra.Command{
		Use:   "versions NAME",
		Short: "List a function's versions",
		Long: `Versions lists a function's versions, oldest first, and marks the active one.

The server keeps the images of the newest versions only (lambda server
--keep-versions, default 10); older versions stay listed with PRUNED set and
cannot be rolled back to: deploy their code again instead.

A version deployed from git (lambda deploy --git, or a push to a hook's
branch) shows the commit and the ref it was deployed from; -o json has the
repository too ("git": {"repository", "ref", "commit", "subdir"}).`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVersions(cmd.Context(), s, root, o, args[0])
		},
	}
	addListFlags(cmd, &o.out, "version numbers")
	return cmd
}

func runVersions(ctx context.Context, s *streams, root *rootOptions, o *versionsOptions, name string) error {
	if err := o.out.check(); err != nil {
		return err
	}
	if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	versions, err := root.client().ListVersions(ctx, name)
	if err != nil {
		return err
	}
	if o.out.data() {
		return o.out.print(s.Out, versions)
	}
	if o.out.quiet {
		numbers := make([]string, len(versions))
		for i, v := range versions {
			numbers[i] = strconv.Itoa(v.Number)
		}
		return printQuiet(s.Out, numbers)
	}
	now := time.Now()
	tw := newTable(s.Out)
	fmt.Fprintln(tw, "VERSION\tCREATED\tIMAGE\tCODE SHA256\tCOMMIT\tREF\tACTIVE\tPRUNED")
	for _, v := range versions {
		active := ""
		if v.Active {
			active = "*"
		}
		sha := v.CodeSHA256
		if len(sha) > 12 {
			sha = sha[:12]
		}
		pruned := ""
		if v.Pruned {
			pruned = "yes"
		}
		commit, ref := gitColumns(v.Git)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Number, age(now, v.CreatedAt), orDash(v.Image), orDash(sha), commit, ref, active, pruned)
	}
	return tw.Flush()
}

// gitColumns are a version's COMMIT and REF cells: "-" for code that was
// not deployed from git.
func gitColumns(g *lambda.Provenance) (commit, ref string) {
	if g == nil {
		return "-", "-"
	}
	ref = orDash(g.Ref)
	if g.Ref == g.Commit {
		ref = lambda.ShortCommit(ref) // deployed with --ref SHA
	}
	return lambda.ShortCommit(g.Commit), ref
}

// describeGit is a version's git provenance on one line, for describe:
// "git://h/r.git fn/ at v1 (0123456789ab)".
func describeGit(g *lambda.Provenance) string {
	s := g.Repository
	if g.Subdir != "" {
		s += " " + g.Subdir + "/"
	}
	if g.Ref != "" {
		s += " at " + g.Ref
	}
	return s + " (" + lambda.ShortCommit(g.Commit) + ")"
}
