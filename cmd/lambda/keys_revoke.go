package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type keysRevokeOptions struct {
	output string
}

func newKeysRevokeCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &keysRevokeOptions{}
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key; the next request with it is refused",
		Args:  argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeysRevoke(cmd.Context(), s, root, o, args[0])
		},
	}
	addOutputFlag(cmd, &o.output)
	return cmd
}

func runKeysRevoke(ctx context.Context, s *streams, root *rootOptions, o *keysRevokeOptions, id string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if strings.HasPrefix(id, lambda.KeySecretPrefix) {
		// Never echo it back: it is a secret, pasted where the ID belongs.
		return usageErrorf("that is a key's secret, not its ID: pass the ID (LK...) that \"lambda keys list\" shows")
	}
	k, err := root.client().RevokeKey(ctx, id)
	if err != nil {
		return err
	}
	if o.output == outputJSON {
		return printJSON(s.Out, k)
	}
	fmt.Fprintf(s.Out, "Revoked API key %s %q\n", k.ID, k.Name)
	return nil
}
