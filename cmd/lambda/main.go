// Command lambda is both the Lambda server ("lambda server") and the CLI
// that deploys, invokes and manages functions through the server's API.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	lambdahttp "github.com/lambdahq/lambda/http"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit code. Errors are
// printed here, once, so every command reports them the same way.
func run(ctx context.Context, args []string, s *streams) int {
	root := newRootCommand(s)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil {
		printError(s.Err, cmd, err)
		return 1
	}
	return 0
}

// streams is where commands read input and write output; tests swap in
// buffers. Nothing in the CLI touches os.Stdout or os.Stderr directly.
type streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// rootOptions holds the flags every client command shares.
type rootOptions struct {
	// The flags as given; resolveConnection decides from them, the
	// environment and the context where a command goes.
	server  string
	apiKey  string // --api-key
	caCert  string // --ca-cert: a private CA the server's certificate chains to
	context string // --context

	persistent *pflag.FlagSet // the root's flags, to tell which were given
	conn       connection     // resolved once, by prepare or client
	connErr    error
	resolved   bool
	// noColor is --no-color: tables never colour their cells (nor do
	// they when NO_COLOR is set or stdout is not a terminal).
	noColor bool
}

// client returns an API client for the server the user pointed at, with
// the API key and CA found for it (resolveConnection). An error resolving
// them has stopped the command before it ran (prepare).
func (o *rootOptions) client() *lambdahttp.Client {
	conn, _ := o.connection()
	c := lambdahttp.NewClient(conn.Server)
	c.APIKey, c.CACertFile = conn.APIKey, conn.CACert
	return c
}

func newRootCommand(s *streams) *cobra.Command {
	o := &rootOptions{}
	cmd := &cobra.Command{
		Use:   "lambda",
		Short: "Run functions as a service on your own machine",
		Long: `Lambda is a self-hosted Function-as-a-Service engine on Docker.

Start the server with "lambda server", then deploy a directory with
"lambda deploy DIR" and call it with "lambda invoke NAME".`,
		// Runtime errors are printed once by run; usage errors add the
		// usage line there too.
		SilenceUsage:  true,
		SilenceErrors: true,
		// Resolves the server, key and CA (flag > environment > context >
		// default) before any command that calls a server.
		PersistentPreRunE: func(c *cobra.Command, _ []string) error { return o.prepare(c) },
		Version:           lambdahttp.Build().Version,
	}
	cmd.SetVersionTemplate(versionTemplate())
	cmd.SetIn(s.In)
	cmd.SetOut(s.Out)
	cmd.SetErr(s.Err)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })

	// No defaults shown: each flag comes first, then its environment
	// variable, the context, the default (credentials.go, resolveConnection).
	o.persistent = cmd.PersistentFlags()
	cmd.PersistentFlags().StringVar(&o.server, "server", "", "URL of the Lambda server (else env LAMBDA_SERVER, the context's, "+lambdahttp.DefaultServerURL+")")
	// Certificates are always verified: this adds a CA, it never skips the check.
	cmd.PersistentFlags().StringVar(&o.caCert, "ca-cert", "", "PEM certificate of a private CA to trust for an https:// server (else env LAMBDA_CA_CERT, the context's)")
	// The help must never print a key taken from the env.
	cmd.PersistentFlags().StringVar(&o.apiKey, "api-key", "", "API key (else env LAMBDA_API_KEY, the context's, the key \"lambda login\" saved, or the local server's admin.key)")
	cmd.PersistentFlags().StringVar(&o.context, "context", "", "context to use (else env LAMBDA_CONTEXT, the current one: lambda context --help)")
	cmd.PersistentFlags().BoolVar(&o.noColor, "no-color", false, "never colour the output (also: env NO_COLOR; colours are only ever shown on a terminal)")

	cmd.AddCommand(
		withoutServerFlag(newServerCommand(s)),
		withoutServerFlag(newInitCommand(s)),
		newDeployCommand(s, o),
		newInvokeCommand(s, o),
		newInvocationsCommand(s, o),
		newInvocationCommand(s, o),
		newLogsCommand(s, o),
		newStatsCommand(s, o),
		newRedriveCommand(s, o),
		newListCommand(s, o),
		newDescribeCommand(s, o),
		newVersionsCommand(s, o),
		newRollbackCommand(s, o),
		newAliasCommand(s, o),
		newPromoteCommand(s, o),
		newConfigCommand(s, o),
		newDeleteCommand(s, o),
		newScheduleCommand(s, o),
		newProjectCommand(s, o),
		newImagesCommand(s, o),
		newRuntimesCommand(s, o),
		newKeysCommand(s, o),
		newLoginCommand(s, o),
		newContextCommand(s, o),
		newVersionCommand(s, o),
		newAuditCommand(s, o),
		withoutServerFlag(newBenchCommand(s)),
		markOffline(newDocsCommand(s)), // hidden: docs/cli, the CLI reference
		newNodeSweepCommand(s),         // hidden: the Swarm backend's task on each node
	)
	addCompletions(cmd, o) // completion.go: function names, versions, IDs
	return cmd
}

// withoutServerFlag marks cmd as one that talks to no server (it runs the
// platform itself): the clients' --server flag is neither listed in its
// help nor accepted.
func withoutServerFlag(cmd *cobra.Command) *cobra.Command {
	markOffline(cmd)
	help := cmd.HelpFunc()
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		for _, name := range []string{"server", "api-key", "ca-cert", "context"} {
			if f := c.InheritedFlags().Lookup(name); f != nil {
				f.Hidden = true // the process ends after the help
			}
		}
		help(c, args)
	})
	cmd.PreRunE = func(c *cobra.Command, _ []string) error {
		for _, name := range []string{"server", "api-key", "ca-cert", "context"} {
			if c.Flags().Changed(name) {
				why := "calls none"
				if c.Name() == "server" || c.Name() == "bench" {
					why = "runs the platform itself"
				}
				return usageErrorf("--%s is for the commands that call a server: %q %s", name, c.CommandPath(), why)
			}
		}
		return nil
	}
	return cmd
}
