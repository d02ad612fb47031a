package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/archive"
	lambdahttp "github.com/lambdahq/lambda/http"
)

type deployOptions struct {
	name    string
	env     []string
	memory  string
	timeout string
	runtime string
	output  string
}

func newDeployCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &deployOptions{}
	cmd := &cobra.Command{
		Use:   "deploy [DIR]",
		Short: "Build a directory into a new version of a function and serve it",
		Long: `Deploy packs DIR (default ".") without the files listed in .dockerignore or
.lambdaignore, uploads it, builds an image and switches traffic to it once a
new instance is up. If anything fails, the previous version keeps serving.`,
		Example: `  lambda deploy ./greet
  lambda deploy . --name greet --env GREETING=hello --memory 128m --timeout 10s`,
		Args: argsRange(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return runDeploy(cmd.Context(), s, root, o, dir)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "function name (default: the directory's name)")
	f.StringArrayVarP(&o.env, "env", "e", nil, "environment variable KEY=VALUE (repeatable)")
	f.StringVar(&o.memory, "memory", "", "memory limit, e.g. 128m or 1g (default 256m)")
	f.StringVar(&o.timeout, "timeout", "", "time limit of one invocation, e.g. 10s or 5m (default 30s)")
	f.StringVar(&o.runtime, "runtime", "", "runtime: dockerfile or go (default: detected from the directory)")
	addOutputFlag(cmd, &o.output)
	return cmd
}

func runDeploy(ctx context.Context, s *streams, root *rootOptions, o *deployOptions, dir string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	name, err := deployName(dir, o.name)
	if err != nil {
		return err
	}
	cfg, err := o.config()
	if err != nil {
		return err
	}

	fmt.Fprint(s.Err, "[1/3] Packaging function code...")
	code, err := os.CreateTemp("", "lambda-deploy-*.tar.gz")
	if err != nil {
		fmt.Fprintln(s.Err, " Failed.")
		return fmt.Errorf("create a temporary file for the code archive: %w", err)
	}
	defer os.Remove(code.Name())
	defer code.Close()
	// Packing fully before uploading reports a directory that is too
	// large or unreadable before anything reaches the server.
	if _, err := archive.Pack(dir, code, archive.PackOptions{}); err != nil {
		fmt.Fprintln(s.Err, " Failed.")
		return err
	}
	if _, err := code.Seek(0, 0); err != nil {
		fmt.Fprintln(s.Err, " Failed.")
		return fmt.Errorf("rewind the code archive: %w", err)
	}
	fmt.Fprintln(s.Err, " Done.")

	client := root.client()
	p := &deployProgress{w: s.Err}
	fn, err := client.Deploy(ctx, name, lambdahttp.DeployRequest{Config: cfg}, code, p.event)
	if err != nil {
		p.fail()
		var le *lambda.Error
		if p.started && errors.As(err, &le) && ctx.Err() == nil {
			msg := dropSeenTail(le.Message, p.log.String())
			return fmt.Errorf("%s\n%s", msg, stillServing(ctx, client, name))
		}
		return err
	}
	p.finish()
	if o.output == outputJSON {
		return printJSON(s.Out, fn)
	}
	fmt.Fprintf(s.Out, "Your function is live at: %s\n", fn.URL)
	return nil
}

// deployName picks the function name: --name, else the directory's name if
// it is a valid function name.
func deployName(dir, flag string) (string, error) {
	if flag != "" {
		if err := lambda.ValidateName(flag); err != nil {
			return "", usageErrorf("--name: %w", err)
		}
		return flag, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dir, err)
	}
	base := filepath.Base(abs)
	if err := lambda.ValidateName(base); err != nil {
		return "", usageErrorf("the directory name %q is not a valid function name: choose one with --name (%s)", base, nameRule(err))
	}
	return base, nil
}

// nameRule extracts the naming rule from a ValidateName error.
func nameRule(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// config turns the flags into a Config; fields left unset stay zero so the
// server applies its defaults, but the values are checked here first.
func (o *deployOptions) config() (lambda.Config, error) {
	cfg := lambda.Config{Runtime: o.runtime}
	env, err := parseEnv(o.env)
	if err != nil {
		return cfg, err
	}
	cfg.Env = env
	if o.memory != "" {
		n, err := lambda.ParseBytes(o.memory)
		if err != nil {
			return cfg, usageErrorf("--memory: %w", err)
		}
		cfg.MemoryBytes = n
	}
	if o.timeout != "" {
		d, err := time.ParseDuration(o.timeout)
		if err != nil {
			return cfg, usageErrorf("--timeout %q is invalid: use a duration like 500ms, 30s or 5m", o.timeout)
		}
		cfg.Timeout = lambda.Duration(d)
	}
	if err := cfg.WithDefaults().Validate(); err != nil {
		return cfg, usageErrorf("%w", err)
	}
	return cfg, nil
}

// parseEnv parses repeated KEY=VALUE flags; a later KEY wins.
func parseEnv(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	env := make(map[string]string, len(pairs))
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usageErrorf("--env %q is invalid: use KEY=VALUE", kv)
		}
		if err := lambda.ValidateEnvName(k); err != nil {
			return nil, usageErrorf("--env %q: %w", kv, err)
		}
		env[k] = v
	}
	return env, nil
}

// dropSeenTail removes from an error message the build log tail the server
// appends to it when that output was already streamed to the terminal.
func dropSeenTail(msg, seen string) string {
	first, tail, ok := strings.Cut(msg, "\n")
	tail = strings.TrimRight(tail, "\n")
	if ok && tail != "" && strings.HasSuffix(strings.TrimRight(seen, "\n"), tail) {
		return first
	}
	return msg
}

// stillServing tells the user what serves now that a deploy failed.
func stillServing(ctx context.Context, client *lambdahttp.Client, name string) string {
	fn, err := client.GetFunction(ctx, name)
	switch {
	case err == nil && fn.Active != nil:
		return fmt.Sprintf("Nothing changed: version %d of %q still serves requests.", fn.Active.Number, name)
	case lambda.ErrorCode(err) == lambda.ENOTFOUND:
		return fmt.Sprintf("Nothing was deployed: %q has no version yet.", name)
	}
	return fmt.Sprintf("Nothing changed: the previous version of %q, if any, still serves requests.", name)
}
