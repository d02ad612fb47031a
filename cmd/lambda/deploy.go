package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/archive"
	lambdahttp "github.com/lambdahq/lambda/http"
	"github.com/lambdahq/lambda/manifest"
)

func newDeployCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &deployOptions{}
	watch := &watchOptions{}
	git := &deployGitOptions{}
	cmd := &cobra.Command{
		Use:   "deploy [DIR]",
		Short: "Deploy a directory, an image or an image archive as a new version of a function",
		Long: `Deploy packs DIR (default ".") without the files listed in .dockerignore or
.lambdaignore, uploads it, builds an image and switches traffic to it once a
new instance is up. If anything fails, the previous version keeps serving.
With --canary 10% the new version takes a tenth of live's traffic and the
active version keeps the rest, until "lambda promote" or "lambda rollback".
Deploying the canary's code and settings again publishes nothing and only
sets its share; the active version's are refused while a canary is in place.

A lambda.yaml in DIR declares the function's settings (name, runtime, handler,
protocol, port, env, memory, timeout, concurrency, min_instances,
max_instances, start_timeout, standby_timeout, auth, max_retries, retry_delay, max_event_age,
async_concurrency, on_success, on_failure, placement) and its cron schedules; flags
override it. The CLI checks it before uploading; the server reads it from
the upload and applies it: it checks the schedules before building and
creates them, all or none, once the new version serves (one identical to
an existing schedule is kept).

A lambda.yaml with project: and functions: declares a project: several
functions built from DIR, sharing the top-level settings unless their entry
overrides them (an entry's schedule: is its cron schedule). Deploy uploads
DIR once and the server deploys every function, all or nothing: if one fails
to build or to start, none switches and the previous versions keep serving.
--only deploys some of them, --prune deletes the project's functions the file
no longer lists, --prefix names them PROJECT-NAME. Function flags (--name,
--env, --memory...) do not apply to a project: set them in the file.

With --image the function runs an image already on the server's host; with
--image-archive it runs the image of a "docker save" tarball, uploaded first.
With --git the server clones the repository at --ref (a branch, tag or commit
SHA; default its HEAD), shallow and within its size, file and time limits
(lambda server --git-max-bytes, --git-max-files, --git-timeout), and deploys
the tree (or its --subdir) like an uploaded directory: its lambda.yaml
applies, and a project's deploys the project. --git-token (or
--git-token-file, or env LAMBDA_GIT_TOKEN) authenticates an https clone of a
private repository for this deploy only: it is neither stored nor logged.
"lambda versions" shows the commit and ref each version came from.

A deploy whose code (or image ID) and settings are those of the active version
publishes nothing: it says "No changes" and that version stays active (scaling
flags still apply). --force publishes a new version anyway, e.g. to rebuild on
an updated base image.

With --watch, deploy goes on watching DIR after the deploy and redeploys it
on every saved change (a burst of saves is one deploy; files .lambdaignore
and .dockerignore exclude are not watched), printing one line per deploy
with its duration and the new version, and the function's logs in between
(--no-logs to leave them out). A deploy that fails prints what failed and
the previous version keeps serving; the next save tries again. Ctrl-C stops.`,
		Example: `  lambda deploy ./greet
  lambda deploy ./greet --watch
  lambda deploy ./greet --canary 10%
  lambda deploy . --name greet --env GREETING=hello --memory 128m --timeout 10s
  lambda deploy ./shop                      # a project: every function of its lambda.yaml
  lambda deploy ./shop --only api,report --prune
  lambda deploy --image nginx:1.27 --name web --port 80
  lambda deploy --image-archive app.tar --name app --protocol aws
  lambda deploy --git https://github.com/acme/greet.git --ref v1.2.0
  lambda deploy --git https://github.com/acme/mono.git --subdir functions/api --git-token-file token.txt`,
		Args: argsRange(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.changed = cmd.Flags().Changed
			if git.url != "" {
				return runDeployGit(cmd.Context(), s, root, o, git, args) // deploy_git.go
			}
			if watch.on || watch.noLogs {
				return runDeployWatch(cmd.Context(), s, root, o, watch, args) // deploy_watch.go
			}
			return runDeploy(cmd.Context(), s, root, o, args)
		},
	}
	addWatchFlags(cmd, watch)
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "function name (default: lambda.yaml's name, else the directory's name)")
	f.StringVar(&o.image, "image", "", "deploy this image from the server's host instead of a directory")
	f.StringVar(&o.archive, "image-archive", "", `upload and deploy the image in this "docker save" tarball`)
	f.StringVar(&o.runtime, "runtime", "", "runtime, e.g. python, node, go or dockerfile (default: detected from the directory)")
	f.StringVar(&o.handler, "handler", "", `handler, e.g. handler.main for Python (default: the runtime's, e.g. handler.handler)`)
	f.StringVar(&o.protocol, "protocol", "", "how the platform talks to the function: http, aws or stdio")
	f.IntVar(&o.port, "port", 0, "port the function listens on in its container (default 8080)")
	f.StringArrayVarP(&o.env, "env", "e", nil, "environment variable KEY=VALUE (repeatable)")
	f.StringVar(&o.memory, "memory", "", "memory limit, e.g. 128m or 1g (default 256m)")
	f.StringArrayVar(&o.placement, "placement", nil, "swarm backend: a placement constraint of the function's instances, e.g. node.labels.gpu==true or node.hostname!=node-3 (repeatable)")
	f.StringVar(&o.timeout, "timeout", "", "time limit of one invocation, e.g. 10s or 5m (default 30s)")
	f.IntVar(&o.concurrency, "concurrency", 0, "requests one instance serves at once (default: 1 for aws and stdio, 16 for http)")
	f.IntVar(&o.minInstances, "min-instances", 0, "instances kept warm at all times")
	f.IntVar(&o.maxInstances, "max-instances", 0, "most instances at once (default 10)")
	f.BoolVar(&o.force, "force", false, "publish a new version even if the code and settings are unchanged")
	f.StringVar(&o.canary, "canary", "", `publish the new version beside live's with this share of its traffic, e.g. 10% or 0.1 ("lambda promote" moves all of it, "lambda rollback" ends it)`)
	f.StringVar(&o.only, "only", "", "project: deploy only these functions of lambda.yaml, comma-separated, e.g. api,report")
	f.BoolVar(&o.prune, "prune", false, "project: delete the project's functions that lambda.yaml no longer lists")
	f.BoolVar(&o.prefix, "prefix", false, "project: name each function PROJECT-NAME instead of NAME")
	f.StringVar(&o.startTimeout, "start-timeout", "", "how long a new instance may take to become ready, e.g. 2m (default 60s; range 1s-15m)")
	f.StringVar(&o.standby, "standby-timeout", "", "how long an idle instance above the minimum stays paused before it stops, e.g. 30m (default 10m; range 1s-24h; 0: never paused)")
	f.StringVar(&o.auth, "auth", "", "who may call the function's URL: none (anyone, the default) or key (Authorization: Bearer KEY of invoke scope)")
	o.async.register(f)
	git.register(f)
	f.BoolVarP(&o.verbose, "verbose", "v", false, "show the whole build log, not one line per build step")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "show no progress: only the function's URL, or the error")
	cmd.MarkFlagsMutuallyExclusive("verbose", "quiet")
	addOutputFlag(cmd, &o.output)
	return cmd
}

func runDeploy(ctx context.Context, s *streams, root *rootOptions, o *deployOptions, args []string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if err := o.checkSource(args); err != nil {
		return err
	}
	if o.image != "" || o.archive != "" {
		return runImageDeploy(ctx, s, root, o)
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
	if m.IsProject() {
		return runProjectDeploy(ctx, s, root, o, dir, m) // deploy_project.go
	}
	if err := o.checkNotProject(); err != nil {
		return err
	}
	name, err := deployName(dir, o.name, o.changed, m)
	if err != nil {
		return err
	}
	// The manifest and the flags are checked together here, so that a
	// mistake is reported with its line before anything is uploaded; but
	// the server reads the uploaded lambda.yaml and applies it under the
	// flags, which are all the request carries.
	if _, err := o.request(name, m); err != nil {
		return err
	}
	if err := checkManifestSchedules(name, m); err != nil {
		return err
	}
	req, err := o.settings(nil)
	if err != nil {
		return err
	}

	p := newDeployProgress(s.Err, o.verbose, o.quiet)
	p.buildStep = isBuildStep
	code, err := packDir(p, dir)
	if err != nil {
		return err
	}
	defer os.Remove(code.Name())
	defer code.Close()

	client := root.client()
	fn, err := client.Deploy(ctx, name, req, code, p.event)
	return finishDeploy(ctx, s, client, o, p, name, fn, err)
}

// packDir packs dir into a temporary file, rewound, for the upload. The
// step has no number: the server numbers the deploy's steps, from the
// upload's unpacking on; packing is the CLI's own work before it.
func packDir(p *deployProgress, dir string) (*os.File, error) {
	fmt.Fprint(p.w, "Packaging function code...")
	code, err := os.CreateTemp("", "lambda-deploy-*.tar.gz")
	if err != nil {
		fmt.Fprintln(p.w, " Failed.")
		return nil, fmt.Errorf("create a temporary file for the code archive: %w", err)
	}
	// Packing fully before uploading reports a directory that is too
	// large or unreadable before anything reaches the server.
	_, err = archive.Pack(dir, code, archive.PackOptions{})
	if err == nil {
		_, err = code.Seek(0, 0)
	}
	if err != nil {
		fmt.Fprintln(p.w, " Failed.")
		code.Close()
		os.Remove(code.Name())
		return nil, err
	}
	fmt.Fprintln(p.w, " Done.")
	return code, nil
}

// checkSource enforces exactly one source: a directory, --image or
// --image-archive.
func (o *deployOptions) checkSource(args []string) error {
	var sources []string
	if len(args) == 1 {
		sources = append(sources, fmt.Sprintf("the directory %q", args[0]))
	}
	if o.changed("image") {
		sources = append(sources, "--image")
	}
	if o.changed("image-archive") {
		sources = append(sources, "--image-archive")
	}
	switch {
	case len(sources) > 1:
		return usageErrorf("deploy takes exactly one source: a directory, --image or --image-archive; got %s", strings.Join(sources, " and "))
	case o.changed("image") && strings.TrimSpace(o.image) == "":
		return usageErrorf("--image is empty: name an image on the server's host, e.g. --image nginx:1.27")
	case o.changed("image-archive") && o.archive == "":
		return usageErrorf(`--image-archive is empty: give the path of a "docker save" tarball`)
	}
	return nil
}

// finishDeploy reports the deploy's outcome and the schedules the server
// applied with it.
func finishDeploy(ctx context.Context, s *streams, client *lambdahttp.Client, o *deployOptions, p *deployProgress, name string, fn *lambdahttp.DeployResult, err error) error {
	if err != nil {
		p.fail()
		var le *lambda.Error
		if p.started && errors.As(err, &le) && ctx.Err() == nil && !strings.Contains(le.Message, " is live, but ") {
			msg := strings.TrimRight(dropSeenTail(le.Message, p.seenLog()), "\n")
			return fmt.Errorf("%s\n%s", msg, stillServing(ctx, client, name))
		}
		return err
	}
	p.finish()
	if o.output == outputJSON {
		if err := printJSON(s.Out, fn); err != nil {
			return err
		}
	} else {
		if !fn.Changed && fn.Active != nil && !o.quiet {
			fmt.Fprintln(s.Out, noChanges(fn, o.canary != ""))
		}
		fmt.Fprintf(s.Out, "Your function is live at: %s\n", fn.URL)
	}
	out := s.Out
	if o.output == outputJSON {
		out = s.Err // stdout holds the JSON document alone
	}
	printSchedules(out, fn.Schedules)
	return nil
}

// checkDeployDir says what to do when the source is not a directory,
// rather than the error of opening it as one.
func checkDeployDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return usageErrorf("%s does not exist: deploy takes a function's directory", dir)
	case err != nil:
		return fmt.Errorf("deploy %s: %w", dir, err)
	case !fi.IsDir():
		return usageErrorf("%s is a file: deploy needs a directory; for an image archive use --image-archive %s", dir, dir)
	}
	return nil
}

// isBuildStep tells the deploy step that streams a Docker build log (the
// engine's "Building image ..."), shown one line per build step.
func isBuildStep(message string) bool { return strings.HasPrefix(message, "Building image") }

// deployName picks the function name: --name, else the manifest's, else
// the directory's name if it is a valid function name. An explicitly empty
// --name is an error, not a fallback (changed reports a flag the user set).
func deployName(dir, flag string, changed func(string) bool, m *manifest.Manifest) (string, error) {
	if changed("name") {
		if err := lambda.ValidateName(flag); err != nil {
			return "", usageErrorf("--name: %w", err)
		}
		return flag, nil
	}
	if m != nil && m.Name != "" {
		return m.Name, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dir, err)
	}
	base := filepath.Base(abs)
	if err := lambda.ValidateName(base); err != nil {
		return "", usageErrorf("the directory name %q is not a valid function name: choose one with --name or name: in %s (%s)", base, manifest.FileName, nameRule(err))
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
