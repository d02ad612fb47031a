package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"golang.org/x/mod/semver"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

type versionOptions struct {
	output string
}

func newVersionCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &versionOptions{}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show the client's and the server's version, commit and Go version",
		Long: `Version prints this client's build (version, commit, Go version, platform)
and the server's (GET /v1/version, which takes any valid API key), and warns
when their major or minor versions differ. The client's part is printed even
when the server cannot be reached; the command then exits non-zero.
"lambda --version" prints the client's version alone, without a server.`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVersion(cmd.Context(), s, root, o)
		},
	}
	// It resolves its connection itself: a broken context must not hide
	// the client's version.
	markOffline(cmd)
	addOutputFlag(cmd, &o.output)
	return cmd
}

// clientBuild is this binary's build; tests replace it to see a skew.
var clientBuild = lambdahttp.Build

// versionResult is what `lambda version -o json` prints.
type versionResult struct {
	Client      lambdahttp.BuildInfo  `json:"client"`
	Server      *lambdahttp.BuildInfo `json:"server,omitempty"`
	ServerURL   string                `json:"server_url,omitempty"`
	ServerError string                `json:"server_error,omitempty"`
	Warning     string                `json:"warning,omitempty"`
}

func runVersion(ctx context.Context, s *streams, root *rootOptions, o *versionOptions) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	res := versionResult{Client: clientBuild()}
	var serverErr error
	if _, err := root.connection(); err != nil {
		serverErr = err
	} else {
		c := root.client()
		res.ServerURL = c.BaseURL
		res.Server, serverErr = c.Version(ctx)
	}
	if lambda.ErrorCode(serverErr) == lambda.ENOTFOUND {
		// A server from before GET /v1/version: its router's 404.
		serverErr = fmt.Errorf("the server at %s has no GET /v1/version: it is older than this client (%s); upgrade it, or use a client of its version", res.ServerURL, res.Client.Version)
	}
	if serverErr != nil {
		res.ServerError = serverErr.Error()
	} else {
		res.Warning = versionSkew(res.Client.Version, res.Server.Version)
	}
	if o.output == outputJSON {
		if err := printJSON(s.Out, res); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(s.Out, "Client:")
		printBuild(s.Out, res.Client)
		if res.Server != nil {
			fmt.Fprintf(s.Out, "\nServer: %s\n", res.ServerURL)
			printBuild(s.Out, *res.Server)
		}
	}
	if res.Warning != "" {
		fmt.Fprintf(s.Err, "Warning: %s\n", res.Warning)
	}
	if serverErr != nil {
		return fmt.Errorf("the server's version is unknown: %w", serverErr)
	}
	return nil
}

func printBuild(w io.Writer, b lambdahttp.BuildInfo) {
	commit := b.Commit
	if commit == "" {
		commit = "unknown (built without VCS information)"
	}
	tw := newTable(w)
	fmt.Fprintf(tw, " Version:\t%s\n", b.Version)
	fmt.Fprintf(tw, " Commit:\t%s\n", commit)
	fmt.Fprintf(tw, " Go version:\t%s\n", b.GoVersion)
	fmt.Fprintf(tw, " OS/Arch:\t%s/%s\n", b.OS, b.Arch)
	tw.Flush()
}

// versionSkew says why a client and a server may not understand each other:
// their major or minor versions differ. Builds without a release version
// (dev) cannot be compared and give no warning.
func versionSkew(client, server string) string {
	if !semver.IsValid(client) || !semver.IsValid(server) {
		return ""
	}
	if semver.MajorMinor(client) == semver.MajorMinor(server) {
		return ""
	}
	return fmt.Sprintf("the client is %s and the server %s: their major or minor versions differ, so some commands may fail or behave differently; use a client of the server's version", client, server)
}

// versionTemplate is what `lambda --version` prints: the client alone.
func versionTemplate() string {
	b := lambdahttp.Build()
	commit := b.Commit
	if commit == "" {
		commit = "unknown"
	}
	return fmt.Sprintf("lambda version %s (commit %s, %s, %s/%s)\n", b.Version, commit, b.GoVersion, b.OS, b.Arch)
}
