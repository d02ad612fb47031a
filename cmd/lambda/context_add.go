package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	lambdahttp "github.com/lambdahq/lambda/http"
)

type contextAddOptions struct {
	server     string
	apiKeyFile string
	caCert     string
}

func newContextAddCommand(s *streams) *cobra.Command {
	o := &contextAddOptions{}
	cmd := &cobra.Command{
		Use:   "add NAME --server URL",
		Short: "Add a context: a server, with the key file and CA to reach it",
		Long: `Add stores a context. --api-key-file names a file holding an API key, read at
each command (so rotating the key needs no change here); or leave it out and
run "lambda login --context NAME" to save a key into the context. --ca-cert
names a private CA's certificate to trust for an https:// server. Files are
kept by absolute path. "lambda context use NAME" makes it the current one.`,
		Example: `  lambda context add prod --server https://lambda.example.com --api-key-file ~/.lambda-prod.key
  lambda context add vm --server https://10.0.0.5 --ca-cert vm-ca.pem && lambda login --context vm`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runContextAdd(s, o, args[0])
		},
	}
	f := cmd.Flags()
	// These shadow the root's flags of the same names: here they describe
	// the context, they do not pick the command's server.
	f.StringVar(&o.server, "server", "", "URL of the context's Lambda server (required)")
	f.StringVar(&o.apiKeyFile, "api-key-file", "", "file holding the API key for that server")
	f.StringVar(&o.caCert, "ca-cert", "", "PEM certificate of a private CA the server's certificate chains to")
	return cmd
}

func runContextAdd(s *streams, o *contextAddOptions, name string) error {
	if err := validateContextName(name); err != nil {
		return err
	}
	server := strings.TrimSpace(o.server)
	if server == "" {
		return usageErrorf("--server URL is required: the server this context talks to")
	}
	server = lambdahttp.NewClient(server).BaseURL
	if u, err := url.Parse(server); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return usageErrorf("--server %q is not a server URL: use http://HOST:PORT or https://HOST", o.server)
	}
	e := &contextEntry{Server: server}
	var err error
	if e.APIKeyFile, err = contextFile(o.apiKeyFile, "--api-key-file"); err != nil {
		return err
	}
	if e.CACert, err = contextFile(o.caCert, "--ca-cert"); err != nil {
		return err
	}
	if e.APIKeyFile != "" {
		if _, err := e.key(name); err != nil {
			return err
		}
	}
	path, err := contextsPath()
	if err != nil {
		return err
	}
	cfg, err := loadContexts(path)
	if err != nil {
		return err
	}
	if _, ok := cfg.Contexts[name]; ok {
		return fmt.Errorf("context %q exists already: remove it first with `lambda context rm %s`", name, name)
	}
	cfg.Contexts[name] = e
	if err := cfg.save(path); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "Added context %q for %s\n", name, server)
	if cfg.Current != name {
		fmt.Fprintf(s.Err, "Use it with `lambda context use %s`, or for one command with --context %s\n", name, name)
	}
	return nil
}

// contextFile checks a file a context names and returns its absolute
// path ("" for none).
func contextFile(p, flag string) (string, error) {
	if p == "" {
		return "", nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", usageErrorf("%s %s: %w", flag, p, err)
	}
	if fi.IsDir() {
		return "", usageErrorf("%s %s is a directory: name a file", flag, p)
	}
	return abs, nil
}
