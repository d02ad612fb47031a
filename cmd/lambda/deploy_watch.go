package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
	"github.com/lambdahq/lambda/manifest"
)

// watchOptions are deploy's --watch flags.
type watchOptions struct {
	on     bool // --watch
	noLogs bool // --no-logs
}

func addWatchFlags(cmd *cobra.Command, w *watchOptions) {
	cmd.Flags().BoolVar(&w.on, "watch", false, "after deploying, redeploy DIR on every saved change (honouring .lambdaignore) until Ctrl-C, streaming the function's logs meanwhile")
	cmd.Flags().BoolVar(&w.noLogs, "no-logs", false, "with --watch: do not stream the function's logs between deploys")
}

// watchDebounce is how long the directory must stay quiet after a change
// before the redeploy: an editor's save, a formatter, a git checkout are
// bursts of events, deployed once.
var watchDebounce = 300 * time.Millisecond

// watchStopWait bounds how long Ctrl-C waits for the log stream to end.
const watchStopWait = 5 * time.Second

// runDeployWatch deploys dir, then redeploys it on every change, one line
// a deploy, until ctx ends (Ctrl-C): the end of a watch, not an error. A
// deploy that fails says what failed and the previous version keeps
// serving (the server switches only once a new version is up); the watch
// goes on, so the next save can fix it.
func runDeployWatch(ctx context.Context, s *streams, root *rootOptions, o *deployOptions, w *watchOptions, args []string) error {
	switch {
	case o.image != "" || o.archive != "":
		return usageErrorf("--watch watches a directory for changes: --image and --image-archive have none to watch")
	case o.output == outputJSON:
		return usageErrorf("--watch prints a line per deploy: leave out -o json")
	case w.noLogs && !w.on:
		return usageErrorf("--no-logs goes with --watch: a plain deploy streams no logs")
	}
	if err := o.checkSource(args); err != nil {
		return err
	}
	dir := "."
	if len(args) == 1 {
		dir = args[0]
	}
	if err := checkDeployDir(dir); err != nil {
		return err
	}
	m, err := manifest.Load(dir)
	if err != nil {
		return err
	}
	names, err := watchedFunctions(dir, o, m)
	if err != nil {
		return err
	}
	wt, err := newDirWatch(dir)
	if err != nil {
		return err
	}
	defer wt.close()

	// Watching starts before the first deploy, so that a save during it
	// is deployed after it.
	out := newLockedStreams(s)
	lg := newWatchLogs(out, root.client(), names, w.noLogs)
	defer lg.stop()
	err = runDeploy(ctx, s, root, o, args)
	switch {
	case ctx.Err() != nil:
		return nil
	case errors.As(err, new(*usageError)):
		return err
	case err != nil:
		fmt.Fprintf(out.Err, "Error: %s\n", strings.TrimRight(err.Error(), "\n"))
	default:
		lg.start(ctx)
	}
	fmt.Fprintf(out.Err, "Watching %s for changes (Ctrl-C to stop)...\n", dir)
	redeploy := func() {
		start := time.Now()
		res, err := deployQuietly(ctx, s, root, o, args)
		took := time.Since(start).Round(100 * time.Millisecond)
		if took < time.Second {
			took = time.Since(start).Round(time.Millisecond)
		}
		if ctx.Err() != nil {
			return
		}
		clock := time.Now().Format("15:04:05")
		if err != nil {
			fmt.Fprintf(out.Err, "%s deploy failed after %s:\n%s\n", clock, took, indent(strings.TrimRight(err.Error(), "\n")))
			return
		}
		fmt.Fprintf(out.Err, "%s %s\n", clock, res.line(took, o.canary != ""))
		lg.start(ctx)
	}
	if err := wt.run(ctx, out.Err, redeploy); err != nil {
		return err
	}
	fmt.Fprintln(out.Err, "Stopped watching.")
	return nil
}

// watchedFunctions names the functions a deploy of dir deploys: the one
// of a function's directory, or a project's (those of --only).
func watchedFunctions(dir string, o *deployOptions, m *manifest.Manifest) ([]string, error) {
	if !m.IsProject() {
		name, err := deployName(dir, o.name, o.changed, m)
		if err != nil {
			return nil, err
		}
		return []string{name}, nil
	}
	only := lambda.ParseOnly(o.only)
	var names []string
	for _, f := range m.Functions {
		if len(only) == 0 || slices.Contains(only, f.Name) {
			names = append(names, lambda.ProjectFunctionName(m.Project, f.Name, o.prefix))
		}
	}
	return names, nil
}

// deployOutcome is what a deploy answered: a function's, or a project's
// (Functions set).
type deployOutcome struct {
	lambdahttp.DeployResult
	Project   string                    `json:"project"`
	Functions []lambdahttp.DeployResult `json:"functions"`
}

// line says what a deploy did, in one line; canary: it was a canary deploy.
func (d *deployOutcome) line(took time.Duration, canary bool) string {
	if d.Functions == nil {
		a := liveCanary(&d.DeployResult)
		switch {
		case canary && a != nil && !d.Changed:
			return fmt.Sprintf("no changes: %s version %d stays live's canary at %s (%s)", d.Name, a.AdditionalVersion, formatWeight(a.Weight), took)
		case canary && a != nil:
			return fmt.Sprintf("deployed %s version %d as live's canary at %s in %s", d.Name, a.AdditionalVersion, formatWeight(a.Weight), took)
		case !d.Changed && d.Active != nil:
			return fmt.Sprintf("no changes: %s version %d stays active (%s)", d.Name, d.Active.Number, took)
		}
		return fmt.Sprintf("deployed %s version %s in %s", d.Name, versionOf(&d.DeployResult), took)
	}
	parts := make([]string, len(d.Functions))
	changed := false
	for i := range d.Functions {
		f := &d.Functions[i]
		parts[i] = f.Name + " version " + versionOf(f)
		if f.Changed {
			changed = true
		} else {
			parts[i] += " (unchanged)"
		}
	}
	if !changed {
		return fmt.Sprintf("no changes: project %s stays as it is (%s)", d.Project, took)
	}
	return fmt.Sprintf("deployed project %s in %s: %s", d.Project, took, strings.Join(parts, ", "))
}

func versionOf(r *lambdahttp.DeployResult) string {
	if r.Active == nil {
		return "-"
	}
	return strconv.Itoa(r.Active.Number)
}

// deployQuietly deploys as runDeploy does, without progress, and returns
// what the server answered (read from the JSON runDeploy prints with -o
// json): the one line a watch prints needs the new version.
func deployQuietly(ctx context.Context, s *streams, root *rootOptions, o *deployOptions, args []string) (*deployOutcome, error) {
	q := *o
	q.quiet, q.verbose, q.output = true, false, outputJSON
	var out bytes.Buffer
	if err := runDeploy(ctx, &streams{In: s.In, Out: &out, Err: io.Discard}, root, &q, args); err != nil {
		return nil, err
	}
	var res deployOutcome
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("read the deploy's answer: %w", err)
	}
	return &res, nil
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }
