package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

type loginOptions struct {
	output string
}

func newLoginCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &loginOptions{}
	cmd := &cobra.Command{
		Use:   "login [--server URL | --context NAME]",
		Short: "Check an API key and save it for a server (in the current context)",
		Long: `Read an API key from a prompt (or from stdin when it is not a terminal, or
from --api-key), check it against the server, and save it in the user's config
directory (mode 0600): into the current context (--context, LAMBDA_CONTEXT or
"lambda context use") when the server is that context's, else for the server's
URL. Later commands to that server use it unless --api-key or LAMBDA_API_KEY
says otherwise (see "lambda context --help" for the whole order).`,
		Example: `  lambda login --server https://lambda.example.com
  lambda context add prod --server https://lambda.example.com && lambda login --context prod
  ssh vm cat /var/lib/lambda/admin.key | lambda login --server https://lambda.example.com`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLogin(cmd.Context(), s, root, o)
		},
	}
	addOutputFlag(cmd, &o.output)
	return cmd
}

// loginResult is what `lambda login -o json` prints: never the secret.
type loginResult struct {
	Server  string      `json:"server"`
	Context string      `json:"context,omitempty"`
	Key     *lambda.Key `json:"key"`
	File    string      `json:"file"`
}

func runLogin(ctx context.Context, s *streams, root *rootOptions, o *loginOptions) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	secret := strings.TrimSpace(root.apiKey)
	if secret == "" {
		var err error
		if secret, err = readKey(s); err != nil {
			return err
		}
	}
	if !strings.HasPrefix(secret, lambda.KeySecretPrefix) {
		return usageErrorf("that is not an API key: keys start with %q (the ID, LK..., is not the secret)", lambda.KeySecretPrefix)
	}
	conn, err := root.connection()
	if err != nil {
		return err
	}
	c := lambdahttp.NewClient(conn.Server)
	c.APIKey, c.CACertFile = secret, conn.CACert
	k, err := c.Whoami(ctx)
	switch code := lambda.ErrorCode(err); {
	case code == lambda.EFORBIDDEN:
		// The key is valid; its scope (invoke) may not read. Keep it.
		k = &lambda.Key{}
	case code == lambda.EUNAUTHORIZED:
		return fmt.Errorf("the server at %s refused the key: %s", c.BaseURL, lambda.ErrorMessage(err))
	case err != nil:
		return err
	}
	path, err := saveLogin(conn, secret, k.ID)
	if err != nil {
		return err
	}
	where := path
	if conn.ContextServer {
		where = fmt.Sprintf("context %q (%s)", conn.Context, path)
	}
	if o.output == outputJSON {
		res := loginResult{Server: c.BaseURL, Key: k, File: path}
		if conn.ContextServer {
			res.Context = conn.Context
		}
		return printJSON(s.Out, res)
	}
	if k.ID == "" {
		fmt.Fprintf(s.Out, "Logged in to %s; key saved in %s\n", c.BaseURL, where)
		return nil
	}
	fmt.Fprintf(s.Out, "Logged in to %s with API key %s %q (scope %s); key saved in %s\n", c.BaseURL, k.ID, k.Name, k.Scope, where)
	return nil
}

// saveLogin keeps a checked key: in the context in use when the server is
// that context's (the key replaces its key file), else for the server's
// URL in credentials.json. It returns the file written.
func saveLogin(conn connection, secret, keyID string) (string, error) {
	if !conn.ContextServer {
		path, err := credentialsPath()
		if err != nil {
			return "", err
		}
		return path, saveKey(path, conn.Server, savedKey{APIKey: secret, KeyID: keyID, SavedAt: time.Now().UTC()})
	}
	path, err := contextsPath()
	if err != nil {
		return "", err
	}
	cfg, err := loadContexts(path)
	if err != nil {
		return "", err
	}
	e := cfg.Contexts[conn.Context]
	if e == nil { // removed since the command started
		return "", unknownContext(conn.Context, "the command line", cfg)
	}
	e.APIKey, e.APIKeyFile, e.KeyID = secret, "", keyID
	return path, cfg.save(path)
}

// readKey reads the key from a prompt that does not echo it when stdin is
// a terminal, else from the first line of stdin.
func readKey(s *streams) (string, error) {
	if f, ok := s.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(s.Err, "API key: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(s.Err)
		if err != nil {
			return "", fmt.Errorf("read the API key: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	line, err := bufio.NewReader(io.LimitReader(s.In, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the API key from stdin: %w", err)
	}
	if line = strings.TrimSpace(line); line == "" {
		return "", usageErrorf("no API key on stdin: pipe it in, pass --api-key, or run \"lambda login\" in a terminal to be prompted")
	}
	return line, nil
}
