package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type contextListOptions struct {
	out listOutput
}

func newContextListCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &contextListOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the contexts; the one in use is marked *",
		Long: `List shows each context's server, where its key comes from and its CA. The
context the next command would use (--context, else LAMBDA_CONTEXT, else the
current one) is marked with * (default: none). Keys are never shown.`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runContextList(s, root, o)
		},
	}
	addListFlags(cmd, &o.out, "context names")
	return cmd
}

// contextInfo is one row of `lambda context list -o json`: never a key.
type contextInfo struct {
	Name       string `json:"name"`
	Current    bool   `json:"current"`
	Server     string `json:"server"`
	APIKeyFile string `json:"api_key_file,omitempty"`
	KeySaved   bool   `json:"key_saved"`
	KeyID      string `json:"key_id,omitempty"`
	CACert     string `json:"ca_cert,omitempty"`
}

func runContextList(s *streams, root *rootOptions, o *contextListOptions) error {
	if err := o.out.check(); err != nil {
		return err
	}
	path, err := contextsPath()
	if err != nil {
		return err
	}
	cfg, err := loadContexts(path)
	if err != nil {
		return err
	}
	// The context in use, as the next command would pick it.
	conn, err := root.connection()
	var broken *brokenContextError
	unknown := false
	switch {
	case errors.As(err, &broken):
		// List anyway, the broken one marked: this is where the user
		// looks to see what to fix.
		fmt.Fprintf(s.Err, "Warning: %v\n", err)
		conn.Context = broken.name
	case lambda.ErrorCode(err) == lambda.ENOTFOUND:
		// --context or LAMBDA_CONTEXT names none of them: list them,
		// none marked.
		fmt.Fprintf(s.Err, "Warning: %s\n", lambda.ErrorMessage(err))
		unknown = true
	case err != nil:
		return err
	}
	rows := []contextInfo{{Name: defaultContext, Current: conn.Context == "" && !unknown, Server: "(flags, environment, defaults)"}}
	for _, n := range cfg.names() {
		e := cfg.Contexts[n]
		rows = append(rows, contextInfo{Name: n, Current: conn.Context == n, Server: e.Server, APIKeyFile: e.APIKeyFile,
			KeySaved: e.APIKey != "", KeyID: e.KeyID, CACert: e.CACert})
	}
	if o.out.data() {
		return o.out.print(s.Out, rows)
	}
	if o.out.quiet {
		names := make([]string, len(rows))
		for i, r := range rows {
			names[i] = r.Name
		}
		return printQuiet(s.Out, names)
	}
	tw := newTable(s.Out)
	fmt.Fprintln(tw, "NAME\tSERVER\tKEY\tCA")
	for _, r := range rows {
		name := r.Name
		if r.Current {
			name += " *"
		}
		key := "-"
		switch {
		case r.KeySaved && r.KeyID != "":
			key = "saved (" + r.KeyID + ")"
		case r.KeySaved:
			key = "saved"
		case r.APIKeyFile != "":
			key = r.APIKeyFile
		}
		ca := r.CACert
		if ca == "" {
			ca = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, r.Server, key, ca)
	}
	return tw.Flush()
}
