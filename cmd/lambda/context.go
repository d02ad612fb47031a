package main

import (
	"github.com/spf13/cobra"
)

func newContextCommand(s *streams, root *rootOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "context",
		Short: "Name servers and switch between them (add, use, list, rm)",
		Long: `A context names a server with the key and CA certificate to reach it, so
that commands need no --server: "lambda context use prod" makes every later
command go to prod's server, and --context NAME or LAMBDA_CONTEXT=NAME picks
one for a single command. "lambda login" saves its key into the current
context. Contexts are kept in the user's config directory (lambda/contexts.json,
mode 0600); a file others may read is refused with the command that fixes it.

Each setting comes from, in order: its flag (--server, --api-key, --ca-cert),
its environment variable (LAMBDA_SERVER, LAMBDA_API_KEY, LAMBDA_CA_CERT), the
context, then the default (http://localhost:8080; the key "lambda login"
saved for that URL outside any context, or a local server's admin.key).
A context named with --context outranks the environment (LAMBDA_SERVER,
LAMBDA_API_KEY, LAMBDA_CA_CERT), not the flags. A context's key and CA are
sent only to its own server. The context
"default" stands for no context: flags, environment and defaults only.`,
		Example: `  lambda context add prod --server https://lambda.example.com --api-key-file ~/.lambda-prod.key
  lambda context add staging --server https://staging.example.com --ca-cert staging-ca.pem
  lambda context use prod
  lambda --context staging list
  LAMBDA_CONTEXT=staging lambda list
  lambda context use default       # back to flags, environment and defaults
  lambda context list`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	markOffline(cmd)
	cmd.AddCommand(
		newContextAddCommand(s),
		newContextUseCommand(s),
		newContextListCommand(s, root),
		newContextRmCommand(s),
	)
	return cmd
}
