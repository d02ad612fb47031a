package main

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

// newAliasCommand groups the alias commands (alias_set.go, alias_list.go,
// alias_delete.go).
func newAliasCommand(s *streams, root *rootOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alias",
		Short: "Name versions of a function and split traffic between two",
		Long: `An alias names a version of a function, optionally sending a share of its
traffic to a second version (a canary). Requests reach an alias at
ALIAS--NAME.DOMAIN, /fn/NAME@ALIAS/, "lambda invoke NAME:ALIAS" and the
Invoke API's Qualifier; a version number works the same way (3--NAME.DOMAIN).

"live" is the alias plain requests use: its version is the active one, which
deploys and rollbacks move. Setting live's version is a rollback; giving it
--weight splits its traffic, as "lambda deploy --canary" does.`,
		Example: `  lambda alias set greet beta --version 3
  lambda alias set greet live --version 2 --weight 3=0.1
  lambda alias list greet
  lambda alias delete greet beta`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newAliasSetCommand(s, root), newAliasListCommand(s, root), newAliasDeleteCommand(s, root))
	return cmd
}

// parseWeight reads a share of traffic: "10%" or "0.1", from 0 to 1.
func parseWeight(flag, s string) (float64, error) {
	t := strings.TrimSpace(s)
	percent := strings.HasSuffix(t, "%")
	w, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if percent {
		w /= 100
	}
	if err != nil || w != w || w < 0 || w > 1 {
		return 0, usageErrorf("%s %q is not a share of traffic: give a percentage (10%%) or a fraction from 0 to 1 (0.1)", flag, s)
	}
	return w, nil
}

// parseVersionWeight reads --weight VERSION=SHARE.
func parseVersionWeight(s string) (int, float64, error) {
	v, share, ok := strings.Cut(s, "=")
	n, isNumber := lambda.VersionNumber(strings.TrimSpace(v))
	if !ok || !isNumber {
		return 0, 0, usageErrorf("--weight %q is not VERSION=SHARE: e.g. --weight 3=0.1 sends 10%% of the alias's traffic to version 3", s)
	}
	w, err := parseWeight("--weight", share)
	return n, w, err
}

// formatWeight renders a share of traffic as a percentage.
func formatWeight(w float64) string {
	// To a hundredth of a percent: 1-0.7 is 0.30000000000000004.
	return strconv.FormatFloat(math.Round(w*10000)/100, 'f', -1, 64) + "%"
}

func checkAliasArgs(function, alias string) error {
	if err := lambda.ValidateName(function); err != nil {
		return usageErrorf("%w", err)
	}
	if alias != lambda.AliasLive {
		if err := lambda.ValidateAliasName(alias); err != nil {
			return usageErrorf("%w", err)
		}
	}
	return nil
}

type aliasSetOptions struct {
	version     int
	weight      string
	description string
	output      string
}

func newAliasSetCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &aliasSetOptions{}
	cmd := &cobra.Command{
		Use:   "set NAME ALIAS --version N [--weight M=SHARE]",
		Short: "Create or change an alias",
		Long: `Set points ALIAS of function NAME at version N, creating the alias if needed.
--weight M=SHARE sends SHARE of the alias's traffic (0.1 or 10%) to version M,
the rest to N. Versions that serve no traffic yet start first, as on a deploy,
so no request waits for them. Setting live moves the active version.`,
		Example: `  lambda alias set greet beta --version 3
  lambda alias set greet live --version 2 --weight 3=10%`,
		Args: argsRange(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAliasSet(cmd.Context(), s, root, o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.version, "version", 0, "the version the alias serves (required)")
	f.StringVar(&o.weight, "weight", "", "VERSION=SHARE: send this share of the alias's traffic to another version, e.g. 3=0.1")
	f.StringVar(&o.description, "description", "", "what the alias is for")
	_ = cmd.MarkFlagRequired("version")
	addOutputFlag(cmd, &o.output)
	return cmd
}

func runAliasSet(ctx context.Context, s *streams, root *rootOptions, o *aliasSetOptions, function, alias string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if err := checkAliasArgs(function, alias); err != nil {
		return err
	}
	if lambda.ValidateVersion(o.version) != nil {
		return usageErrorf("--version %d is invalid: versions are numbered from 1 (see \"lambda versions %s\")", o.version, function)
	}
	a := &lambda.Alias{Function: function, Name: alias, Version: o.version, Description: o.description}
	if o.weight != "" {
		n, w, err := parseVersionWeight(o.weight)
		if err != nil {
			return err
		}
		a.AdditionalVersion, a.Weight = n, w
	}
	if err := a.Validate(); err != nil {
		return usageErrorf("%w", err)
	}
	got, err := root.client().SetAlias(ctx, a)
	if err != nil {
		return err
	}
	if o.output == outputJSON {
		return printJSON(s.Out, got)
	}
	fmt.Fprintf(s.Out, "Alias %q of %q: %s\n", alias, function, routing(got))
	return nil
}

// routing says where an alias sends its traffic.
func routing(a *lambda.Alias) string {
	if a.AdditionalVersion == 0 || a.Weight == 0 {
		return fmt.Sprintf("version %d", a.Version)
	}
	return fmt.Sprintf("version %d (%s), version %d (%s)", a.Version, formatWeight(1-a.Weight), a.AdditionalVersion, formatWeight(a.Weight))
}
