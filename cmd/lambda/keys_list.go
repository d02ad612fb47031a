package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type keysListOptions struct {
	output string
}

func newKeysListCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &keysListOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List API keys (never their secrets)",
		Args:    argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeysList(cmd.Context(), s, root, o)
		},
	}
	addOutputFlag(cmd, &o.output)
	return cmd
}

func runKeysList(ctx context.Context, s *streams, root *rootOptions, o *keysListOptions) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	keys, err := root.client().ListKeys(ctx)
	if err != nil {
		return err
	}
	if o.output == outputJSON {
		if keys == nil {
			keys = []*lambda.Key{}
		}
		return printJSON(s.Out, keys)
	}
	if len(keys) == 0 {
		fmt.Fprintln(s.Err, `No API keys: create one with "lambda keys create NAME --scope SCOPE".`)
		return nil
	}
	now := time.Now()
	tw := newTable(s.Out)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tFUNCTIONS\tSTATUS\tCREATED\tEXPIRES")
	for _, k := range keys {
		fns := "*"
		if len(k.Functions) > 0 {
			fns = strings.Join(k.Functions, ",")
		}
		expires := "-"
		if k.ExpiresAt != nil {
			expires = timestamp(*k.ExpiresAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Scope, fns, keyStatus(k, now), age(now, k.CreatedAt), expires)
	}
	return tw.Flush()
}

// keyStatus says whether k works: active, revoked or expired.
func keyStatus(k *lambda.Key, now time.Time) string {
	switch {
	case k.RevokedAt != nil:
		return "revoked"
	case !k.Active(now):
		return "expired"
	}
	return "active"
}
