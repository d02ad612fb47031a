package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
	"github.com/lambdahq/lambda/manifest"
)

// functionFlags are the deploy flags that set one function's settings: a
// project's functions take theirs from lambda.yaml.
var functionFlags = []string{"name", "image", "image-archive", "runtime", "handler", "protocol", "port", "env", "memory", "placement", "timeout",
	"concurrency", "min-instances", "max-instances", "start-timeout", "standby-timeout", "auth",
	"max-retries", "retry-delay", "max-event-age", "async-concurrency", "on-success", "on-failure"}

// projectFlags only apply to a project's deploy.
var projectFlags = []string{"only", "prune", "prefix"}

// checkNotProject refuses the project flags on a single function's deploy.
func (o *deployOptions) checkNotProject() error {
	for _, f := range projectFlags {
		if o.changed(f) {
			return usageErrorf("--%s is for projects: the directory's %s declares no project: (add project: NAME and functions:, see \"lambda deploy --help\")", f, manifest.FileName)
		}
	}
	return nil
}

// runProjectDeploy deploys the project dir's lambda.yaml declares: one
// upload, all its functions (or --only some) switched together or none.
func runProjectDeploy(ctx context.Context, s *streams, root *rootOptions, o *deployOptions, dir string, m *manifest.Manifest) error {
	for _, f := range functionFlags {
		if o.changed(f) {
			return usageErrorf("--%s sets one function's settings, and %s declares project %q: set it in the file, at the top for every function or under the function's entry", f, manifest.FileName, m.Project)
		}
	}
	req := lambdahttp.ProjectDeployRequest{Only: lambda.ParseOnly(o.only), Prune: o.prune, Prefix: o.prefix, Force: o.force}
	if o.changed("only") && len(req.Only) == 0 {
		return usageErrorf("--only is empty: name functions of project %q, e.g. --only %s", m.Project, m.Functions[0].Name)
	}
	var names []string
	for _, f := range m.Functions {
		names = append(names, f.Name)
	}
	for _, n := range req.Only {
		if !slices.Contains(names, n) {
			return usageErrorf("--only: project %q has no function %q: its functions are %s", m.Project, n, strings.Join(names, ", "))
		}
	}
	for _, f := range m.Functions {
		if len(req.Only) > 0 && !slices.Contains(req.Only, f.Name) {
			continue
		}
		name := lambda.ProjectFunctionName(m.Project, f.Name, o.prefix)
		if err := lambda.ValidateName(name); err != nil {
			return usageErrorf("function %q of project %q: %s", f.Name, m.Project, nameRule(err))
		}
		// The schedules are checked here too, so that a mistake is told
		// with its line before the upload.
		if err := checkManifestSchedules(name, &f.Manifest); err != nil {
			return err
		}
	}

	p := newDeployProgress(s.Err, o.verbose, o.quiet)
	p.buildStep = isBuildStep
	code, err := packDir(p, dir)
	if err != nil {
		return err
	}
	defer os.Remove(code.Name())
	defer code.Close()
	res, err := root.client().DeployProject(ctx, m.Project, req, code, p.event)
	if err != nil {
		p.fail()
		var le *lambda.Error
		if p.started && errors.As(err, &le) && ctx.Err() == nil {
			return errors.New(strings.TrimRight(dropSeenTail(le.Message, p.seenLog()), "\n"))
		}
		return err
	}
	p.finish()
	if o.output == outputJSON {
		if err := printJSON(s.Out, res); err != nil {
			return err
		}
		for _, f := range res.Functions {
			printSchedules(s.Err, f.Schedules)
		}
		return nil
	}
	return printProjectResult(s, res)
}

// printProjectResult lists each function deployed with its URL, then
// the schedules applied and the functions pruned.
func printProjectResult(s *streams, res *lambdahttp.ProjectDeployResult) error {
	fmt.Fprintf(s.Out, "Project %q is live:\n", res.Project)
	tw := newTable(s.Out)
	fmt.Fprintln(tw, "FUNCTION\tVERSION\tCHANGE\tURL")
	for _, f := range res.Functions {
		version, change := "-", "new version"
		if f.Active != nil {
			version = fmt.Sprint(f.Active.Number)
		}
		if !f.Changed {
			change = "unchanged"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, version, change, orDash(f.URL))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range res.Functions {
		printSchedules(s.Out, f.Schedules)
	}
	for _, n := range res.Pruned {
		fmt.Fprintf(s.Out, "Pruned %s: the project's lambda.yaml no longer lists it\n", n)
	}
	return nil
}
