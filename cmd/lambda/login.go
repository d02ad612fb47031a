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
		Use:   "login [--server URL]",
		Short: "Check an API key and save it for a server",
		Long: `Read an API key from a prompt (or from stdin when it is not a terminal, or
from --api-key), check it against the server, and save it for that server's
URL in the user's config directory (mode 0600). Later commands to that server
use it unless --api-key or LAMBDA_API_KEY says otherwise.`,
		Example: `  lambda login --server https://lambda.example.com
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
	Server string      `json:"server"`
	Key    *lambda.Key `json:"key"`
	File   string      `json:"file"`
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
	c := lambdahttp.NewClient(root.server)
	c.APIKey, c.CACertFile = secret, root.caCert
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
	path, err := credentialsPath()
	if err != nil {
		return err
	}
	if err := saveKey(path, root.server, savedKey{APIKey: secret, KeyID: k.ID, SavedAt: time.Now().UTC()}); err != nil {
		return err
	}
	if o.output == outputJSON {
		return printJSON(s.Out, loginResult{Server: c.BaseURL, Key: k, File: path})
	}
	if k.ID == "" {
		fmt.Fprintf(s.Out, "Logged in to %s; key saved in %s\n", c.BaseURL, path)
		return nil
	}
	fmt.Fprintf(s.Out, "Logged in to %s with API key %s %q (scope %s); key saved in %s\n", c.BaseURL, k.ID, k.Name, k.Scope, path)
	return nil
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
