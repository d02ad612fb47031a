package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

type describeOptions struct {
	output string
}

func newDescribeCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &describeOptions{}
	cmd := &cobra.Command{
		Use:   "describe NAME",
		Short: "Show a function's configuration and instances",
		Args:  argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDescribe(cmd.Context(), s, root, o, args[0])
		},
	}
	addOutputFlag(cmd, &o.output)
	return cmd
}

func runDescribe(ctx context.Context, s *streams, root *rootOptions, o *describeOptions, name string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	fn, err := root.client().GetFunction(ctx, name)
	if err != nil {
		return err
	}
	if o.output == outputJSON {
		return printJSON(s.Out, fn)
	}
	now := time.Now()
	if err := printDetail(s.Out, fn, now); err != nil {
		return err
	}
	fmt.Fprintln(s.Out)
	if len(fn.Instances) == 0 {
		if external(fn.Active) {
			fmt.Fprintln(s.Out, "No container runs: start one (e.g. docker compose up -d); until then requests get 503.")
			return nil
		}
		fmt.Fprintln(s.Out, "No instances: one starts on the next request.")
		return nil
	}
	fmt.Fprintln(s.Out, "INSTANCES")
	tw := newTable(s.Out)
	fmt.Fprintln(tw, "ID\tVERSION\tSTATE\tIN FLIGHT\tREQUESTS\tADDR\tAGE")
	for _, in := range fn.Instances {
		state := in.State
		if state == "" {
			state = map[bool]string{true: "running", false: "stopped"}[in.Running]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", shortID(in.ID), versionCell(in.Version, fn.Active), state, in.Inflight, in.Requests, orDash(in.Addr), age(now, in.CreatedAt))
	}
	return tw.Flush()
}

// printDetail writes the function as an aligned key/value block.
func printDetail(w io.Writer, fn *lambdahttp.FunctionDetail, now time.Time) error {
	tw := newTable(w)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("Name", fn.Name)
	if fn.Project != "" {
		row("Project", fn.Project)
	}
	row("URL", orDash(fn.URL))
	row("Path URL", orDash(fn.PathURL))
	row("Status", orDash(fn.Status))
	if v := fn.Active; external(v) {
		// Not deployed with Lambda: no version, image or scaling of its own.
		row("Active version", "- (containers found by their Docker labels; stop or scale them with Compose)")
		row("Runtime", lambda.RuntimeExternal)
		row("Protocol", orDash(v.Config.Protocol))
		row("Port", fmt.Sprint(v.Config.Port))
		row("Timeout", timeout(v.Config.Timeout))
		return tw.Flush()
	}
	if v := fn.Active; v != nil {
		cfg := v.Config
		row("Active version", fmt.Sprint(v.Number))
		row("Runtime", orDash(cfg.Runtime))
		row("Image", orDash(v.Image))
		row("Image ID", orDash(shortID(v.ImageID)))
		if g := v.Git; g != nil {
			row("Source", describeGit(g))
		}
		row("Memory", memory(cfg.MemoryBytes))
		row("Timeout", timeout(cfg.Timeout))
		row("Protocol", orDash(cfg.Protocol))
		for i, a := range fn.Aliases {
			// One line per alias, the first under the label.
			line := a.Name + ": " + routing(a)
			if i == 0 {
				row("Aliases", line)
				continue
			}
			fmt.Fprintf(tw, "\t%s\n", line)
		}
		row("Scaling", describeScaling(fn.Scaling))
		row("Async", describeAsync(fn.Scaling))
		keys := slices.Sorted(maps.Keys(cfg.Env))
		if len(keys) == 0 {
			row("Env", "-")
		}
		for i, k := range keys {
			if i == 0 {
				row("Env", k+"="+cfg.Env[k])
				continue
			}
			// An empty key cell aligns the other variables under the first.
			fmt.Fprintf(tw, "\t%s=%s\n", k, cfg.Env[k])
		}
	} else {
		row("Active version", "-")
	}
	row("Created", fmt.Sprintf("%s (%s)", timestamp(fn.CreatedAt), age(now, fn.CreatedAt)))
	row("Updated", fmt.Sprintf("%s (%s)", timestamp(fn.UpdatedAt), age(now, fn.UpdatedAt)))
	return tw.Flush()
}

// shortID cuts a container or image ID to the 12 characters Docker shows.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func memory(n int64) string {
	if n == 0 {
		return lambda.FormatBytes(lambda.DefaultMemoryBytes)
	}
	return lambda.FormatBytes(n)
}

func timeout(d lambda.Duration) string {
	if d == 0 {
		return lambda.DefaultTimeout.String()
	}
	return time.Duration(d).String()
}

// external reports whether v is the stand-in version of a function that
// containers found by their labels serve.
func external(v *lambda.Version) bool {
	return v != nil && v.Config.Runtime == lambda.RuntimeExternal
}

// versionCell is a version number of the function whose active version
// is active, "-" for none or an external function's (it is not versioned).
func versionCell(n int, active *lambda.Version) string {
	if n == 0 || external(active) {
		return "-"
	}
	return fmt.Sprint(n)
}
