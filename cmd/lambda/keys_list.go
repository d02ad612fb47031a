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
	out listOutput
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
	addListFlags(cmd, &o.out, "key IDs")
	return cmd
}

func runKeysList(ctx context.Context, s *streams, root *rootOptions, o *keysListOptions) error {
	if err := o.out.check(); err != nil {
		return err
	}
	keys, err := root.client().ListKeys(ctx)
	if err != nil {
		return err
	}
	if o.out.data() {
		if keys == nil {
			keys = []*lambda.Key{}
		}
		return o.out.print(s.Out, keys)
	}
	if o.out.quiet {
		ids := make([]string, len(keys))
		for i, k := range keys {
			ids[i] = k.ID
		}
		return printQuiet(s.Out, ids)
	}
	if len(keys) == 0 {
		fmt.Fprintln(s.Err, `No API keys: create one with "lambda keys create NAME --scope SCOPE".`)
		return nil
	}
	now := time.Now()
	p := painter{on: colours(s, root.noColor)}
	tw := newTable(s.Out)
	fmt.Fprintf(tw, "ID\tNAME\tSCOPE\tFUNCTIONS\t%s\tCREATED\tEXPIRES\n", p.header("STATUS"))
	for _, k := range keys {
		fns := "*"
		if len(k.Functions) > 0 {
			fns = strings.Join(k.Functions, ",")
		}
		expires := "-"
		if k.ExpiresAt != nil {
			expires = timestamp(*k.ExpiresAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Scope, fns, p.status(keyStatus(k, now)), age(now, k.CreatedAt), expires)
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
