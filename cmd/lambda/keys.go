package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

func newKeysCommand(s *streams, root *rootOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke API keys",
		Long: `API keys authenticate every request to the control API and the Lambda
Invoke API. A key has one scope: admin (everything, keys included), deploy
(deploy, rollback, delete, config and schedules), invoke (invoke functions)
or read (list, describe, versions), and may be limited to some functions.`,
		Args: argsRange(0, 0),
	}
	cmd.AddCommand(newKeysCreateCommand(s, root), newKeysListCommand(s, root), newKeysRevokeCommand(s, root))
	return cmd
}

type keysCreateOptions struct {
	scope     string
	functions []string
	expires   string
	output    string
}

func newKeysCreateCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &keysCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create NAME --scope admin|deploy|invoke|read",
		Short: "Create an API key and print its secret, once",
		Long: `Create an API key and print its secret on stdout, alone on its line: the
server keeps only a hash of it and can never show it again.`,
		Example: `  lambda keys create ci --scope deploy --function web --expires 30d
  export LAMBDA_API_KEY=$(lambda keys create laptop --scope admin)`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeysCreate(cmd.Context(), s, root, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.scope, "scope", "", "what the key may do: "+strings.Join(lambda.Scopes, ", "))
	f.StringArrayVar(&o.functions, "function", nil, "limit the key to this function (repeatable; none: every function)")
	f.StringVar(&o.expires, "expires", "", "how long the key lasts, such as 30d or 12h (default: until revoked)")
	addOutputFlag(cmd, &o.output)
	return cmd
}

func runKeysCreate(ctx context.Context, s *streams, root *rootOptions, o *keysCreateOptions, name string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	// Checked here too, so that a typo is a usage error before any request.
	if err := lambda.ValidateKeyName(name); err != nil {
		return usageErrorf("%w", err)
	}
	if err := lambda.ValidateScope(o.scope); err != nil {
		return usageErrorf("--scope: %w", err)
	}
	for _, fn := range o.functions {
		if err := lambda.ValidateName(fn); err != nil {
			return usageErrorf("--function: %w", err)
		}
	}
	if o.expires != "" {
		if _, err := lambda.ParseKeyExpiry(o.expires); err != nil {
			return usageErrorf("--expires: %w", err)
		}
	}
	k, err := root.client().CreateKey(ctx, lambdahttp.KeyRequest{Name: name, Scope: o.scope, Functions: o.functions, Expires: o.expires})
	if err != nil {
		return err
	}
	if o.output == outputJSON {
		return printJSON(s.Out, k)
	}
	fns := "every function"
	if len(k.Functions) > 0 {
		fns = "functions " + strings.Join(k.Functions, ", ")
	}
	expires := "never expires"
	if k.ExpiresAt != nil {
		expires = "expires " + timestamp(*k.ExpiresAt)
	}
	fmt.Fprintf(s.Err, "Created API key %s %q: scope %s on %s, %s.\nIts secret follows; it is shown only now:\n", k.ID, k.Name, k.Scope, fns, expires)
	fmt.Fprintln(s.Out, k.Secret)
	return nil
}
