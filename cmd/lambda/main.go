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
	server string
	apiKey string // --api-key; see resolveAPIKey for where else a key comes from
	caCert string // --ca-cert: a private CA the server's certificate chains to
	// noColor is --no-color: tables never colour their cells (nor do
	// they when NO_COLOR is set or stdout is not a terminal).
	noColor bool
}

// client returns an API client for the server the user pointed at, with
// the API key found for it.
func (o *rootOptions) client() *lambdahttp.Client {
	c := lambdahttp.NewClient(o.server)
	c.APIKey = resolveAPIKey(o.apiKey, o.server)
	c.CACertFile = o.caCert
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
	}
	cmd.SetIn(s.In)
	cmd.SetOut(s.Out)
	cmd.SetErr(s.Err)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err: err} })

	server := os.Getenv("LAMBDA_SERVER")
	if server == "" {
		server = lambdahttp.DefaultServerURL
	}
	cmd.PersistentFlags().StringVar(&o.server, "server", server, "URL of the Lambda server (env LAMBDA_SERVER)")
	// Certificates are always verified: this adds a CA, it never skips the check.
	cmd.PersistentFlags().StringVar(&o.caCert, "ca-cert", os.Getenv("LAMBDA_CA_CERT"), "PEM certificate of a private CA to trust for an https:// server (env LAMBDA_CA_CERT)")
	// No default shown: the help must never print a key taken from the env.
	cmd.PersistentFlags().StringVar(&o.apiKey, "api-key", "", "API key (env LAMBDA_API_KEY; else the key saved by \"lambda login\", or the local server's admin.key)")
	cmd.PersistentFlags().BoolVar(&o.noColor, "no-color", false, "never colour the output (also: env NO_COLOR; colours are only ever shown on a terminal)")

	cmd.AddCommand(
		withoutServerFlag(newServerCommand(s)),
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
		newConfigCommand(s, o),
		newDeleteCommand(s, o),
		newScheduleCommand(s, o),
		newImagesCommand(s, o),
		newRuntimesCommand(s, o),
		newKeysCommand(s, o),
		newLoginCommand(s, o),
		newAuditCommand(s, o),
		withoutServerFlag(newBenchCommand(s)),
	)
	addCompletions(cmd, o) // completion.go: function names, versions, IDs
	return cmd
}

// withoutServerFlag marks cmd as one that talks to no server (it runs the
// platform itself): the clients' --server flag is neither listed in its
// help nor accepted.
func withoutServerFlag(cmd *cobra.Command) *cobra.Command {
	help := cmd.HelpFunc()
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		for _, name := range []string{"server", "api-key", "ca-cert"} {
			if f := c.InheritedFlags().Lookup(name); f != nil {
				f.Hidden = true // the process ends after the help
			}
		}
		help(c, args)
	})
	cmd.PreRunE = func(c *cobra.Command, _ []string) error {
		for _, name := range []string{"server", "api-key", "ca-cert"} {
			if c.Flags().Changed(name) {
				return usageErrorf("--%s is for the commands that call a server: %q runs the platform itself", name, c.CommandPath())
			}
		}
		return nil
	}
	return cmd
}
