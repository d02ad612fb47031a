package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/templates"
)

// Shell completion is cobra's: "lambda completion bash|zsh|fish|powershell"
// prints the script, which calls the hidden "lambda __complete ARGS..." on
// each Tab. addCompletions teaches that command what the arguments and
// flags of ours can be: function names, versions and schedule and key IDs
// asked of the server the command line points at (--server, the
// environment, the saved login), and runtimes, protocols, contexts and
// the like offline. The platform has no aliases, so there are none to
// complete.

// completionTimeout bounds a completion's call to the server: a Tab must
// never hang the shell on a server that does not answer.
const completionTimeout = 3 * time.Second

// functionArgCommands take a function's name as their first argument.
var functionArgCommands = map[string]bool{
	"invoke": true, "invocations": true, "logs": true, "stats": true, "describe": true,
	"versions": true, "rollback": true, "config": true, "delete": true, "redrive": true,
	"schedule": true, "schedule list": true,
}

// offlineFlagValues completes the flags whose values the CLI knows itself,
// by flag name, on whichever command has them.
var offlineFlagValues = map[string][]string{
	"runtime":  {lambda.RuntimeGo, lambda.RuntimePython, lambda.RuntimeNode, lambda.RuntimeDockerfile, lambda.RuntimeImage},
	"protocol": lambda.Protocols,
	"status":   lambda.InvocationStatuses,
	"scope":    {lambda.ScopeAdmin, lambda.ScopeDeploy, lambda.ScopeInvoke, lambda.ScopeRead},
	"auth":     {"none", "key"},
	"output":   {outputTable, outputJSON},
}

// addCompletions registers the completions of every command under root
// that has none of its own yet; commands added later by their own files
// get theirs through the same tables.
func addCompletions(root *cobra.Command, o *rootOptions) {
	walkCommands(root, func(c *cobra.Command) {
		path := strings.TrimPrefix(c.CommandPath(), root.Name()+" ")
		if c.ValidArgsFunction == nil {
			switch {
			case functionArgCommands[path]:
				c.ValidArgsFunction = firstArg(o, completeFunctions)
			case path == "schedule delete":
				c.ValidArgsFunction = firstArg(o, completeSchedules)
			case path == "keys revoke":
				c.ValidArgsFunction = firstArg(o, completeKeys)
			case path == "context use":
				c.ValidArgsFunction = firstArg(o, completeContextsOrDefault)
			case path == "context rm":
				c.ValidArgsFunction = firstArg(o, completeContexts)
			case path == "deploy":
				c.ValidArgsFunction = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
					return nil, cobra.ShellCompDirectiveFilterDirs // deploy DIR
				}
			}
		}
		flags := c.LocalNonPersistentFlags()
		if path == "init" {
			// Only the runtimes that have a template (not image), and
			// the templates' names; registered first, so the general
			// runtimes below are not.
			_ = c.RegisterFlagCompletionFunc("runtime", fixedCompletions(templates.Runtimes()))
			_ = c.RegisterFlagCompletionFunc("template", fixedCompletions(templateNames(templates.List())))
		}
		for name, values := range offlineFlagValues {
			if flags.Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, fixedCompletions(values))
			}
		}
		if path == "stats" {
			windows := make([]string, len(lambda.StatsWindows))
			for i, w := range lambda.StatsWindows {
				windows[i] = w.Name
			}
			_ = c.RegisterFlagCompletionFunc("window", fixedCompletions(windows))
		}
		if c == root && c.PersistentFlags().Lookup("context") != nil {
			_ = c.RegisterFlagCompletionFunc("context", func(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return completeContextsOrDefault(cmd, o, nil, prefix)
			})
		}
		if path == "deploy" {
			_ = c.RegisterFlagCompletionFunc("name", func(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return completeFunctions(cmd, o, nil, prefix)
			})
		}
		if path == "redrive" && flags.Lookup("id") != nil {
			_ = c.RegisterFlagCompletionFunc("id", func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return completeDeadInvocations(cmd, o, args, prefix)
			})
		}
		// The versions of the function named first: rollback --to, logs --version.
		for _, name := range []string{"to", "version"} {
			if functionArgCommands[path] && flags.Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
					return completeVersions(cmd, o, args, prefix)
				})
			}
		}
	})
}

// fixedCompletions completes with the values that start with what was
// typed (cobra's FixedCompletions leaves that to the shell's script).
func fixedCompletions(values []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, v := range values {
			if strings.HasPrefix(v, prefix) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func walkCommands(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		walkCommands(sub, f)
	}
}

// completer lists the candidates for an argument that start with prefix.
type completer func(cmd *cobra.Command, o *rootOptions, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective)

// firstArg completes the first positional argument with f, and nothing
// after it.
func firstArg(o *rootOptions, f completer) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return f(cmd, o, args, prefix)
	}
}

// completionContext is the command's context bounded by completionTimeout.
func completionContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, completionTimeout)
}

// candidates keeps the values that start with prefix, each with its
// description after a tab (shown by zsh, fish and PowerShell).
func candidates(prefix string, values, descriptions []string) []cobra.Completion {
	var out []cobra.Completion
	for i, v := range values {
		if strings.HasPrefix(v, prefix) {
			out = append(out, cobra.CompletionWithDesc(v, descriptions[i]))
		}
	}
	return out
}

// completionFailed logs why the server gave nothing (to the file named by
// BASH_COMP_DEBUG_FILE, never to the terminal the user types in).
func completionFailed(err error) ([]cobra.Completion, cobra.ShellCompDirective) {
	cobra.CompDebugln("lambda: completion: "+err.Error(), false)
	return nil, cobra.ShellCompDirectiveNoFileComp
}

func completeFunctions(cmd *cobra.Command, o *rootOptions, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel := completionContext(cmd)
	defer cancel()
	fns, err := o.client().ListFunctions(ctx)
	if err != nil {
		return completionFailed(err)
	}
	names, desc := make([]string, len(fns)), make([]string, len(fns))
	for i, f := range fns {
		names[i], desc[i] = f.Name, fmt.Sprintf("version %d, %s, %s", f.Version, orDash(f.Runtime), orDash(f.Status))
	}
	return candidates(prefix, names, desc), cobra.ShellCompDirectiveNoFileComp
}

func completeVersions(cmd *cobra.Command, o *rootOptions, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) == 0 || lambda.ValidateName(args[0]) != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := completionContext(cmd)
	defer cancel()
	versions, err := o.client().ListVersions(ctx, args[0])
	if err != nil {
		return completionFailed(err)
	}
	var numbers, desc []string
	for _, v := range versions {
		if v.Pruned {
			continue // cannot be served again
		}
		d := "created " + timestamp(v.CreatedAt)
		if v.Active {
			d = "active, " + d
		}
		numbers, desc = append(numbers, strconv.Itoa(v.Number)), append(desc, d)
	}
	return candidates(prefix, numbers, desc), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
}

func completeSchedules(cmd *cobra.Command, o *rootOptions, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel := completionContext(cmd)
	defer cancel()
	schedules, err := o.client().ListSchedules(ctx, "")
	if err != nil {
		return completionFailed(err)
	}
	ids, desc := make([]string, len(schedules)), make([]string, len(schedules))
	for i, s := range schedules {
		ids[i], desc[i] = s.ID, s.Function+" "+s.Cron
	}
	return candidates(prefix, ids, desc), cobra.ShellCompDirectiveNoFileComp
}

// completeDeadInvocations lists the dead invocations of the function
// named first, newest first: what redrive --id takes.
func completeDeadInvocations(cmd *cobra.Command, o *rootOptions, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) == 0 || lambda.ValidateName(args[0]) != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := completionContext(cmd)
	defer cancel()
	page, err := o.client().ListInvocationsPage(ctx, args[0], lambda.JobFilter{Status: lambda.StatusDead, Limit: lambda.DefaultJobListLimit})
	if err != nil {
		return completionFailed(err)
	}
	var ids, desc []string
	for _, j := range page.Invocations {
		ids, desc = append(ids, j.ID), append(desc, "dead, created "+timestamp(j.CreatedAt))
	}
	return candidates(prefix, ids, desc), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
}

// completeContextsOrDefault is completeContexts with "default" (no
// context), a value of context use and --context (not of context rm).
func completeContextsOrDefault(cmd *cobra.Command, o *rootOptions, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	out, dir := completeContexts(cmd, o, args, prefix)
	if strings.HasPrefix(defaultContext, prefix) {
		out = append([]cobra.Completion{cobra.CompletionWithDesc(defaultContext, "flags, environment and defaults")}, out...)
	}
	return out, dir
}

// completeContexts lists the contexts of the user's config, offline.
func completeContexts(_ *cobra.Command, _ *rootOptions, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	path, err := contextsPath()
	if err != nil {
		return completionFailed(err)
	}
	cfg, err := loadContexts(path)
	if err != nil {
		return completionFailed(err)
	}
	names := cfg.names()
	desc := make([]string, len(names))
	for i, n := range names {
		desc[i] = cfg.Contexts[n].Server
	}
	return candidates(prefix, names, desc), cobra.ShellCompDirectiveNoFileComp
}

func completeKeys(cmd *cobra.Command, o *rootOptions, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel := completionContext(cmd)
	defer cancel()
	keys, err := o.client().ListKeys(ctx)
	if err != nil {
		return completionFailed(err)
	}
	now := time.Now()
	var ids, desc []string
	for _, k := range keys {
		if k.Active(now) {
			ids, desc = append(ids, k.ID), append(desc, k.Name+", "+k.Scope)
		}
	}
	return candidates(prefix, ids, desc), cobra.ShellCompDirectiveNoFileComp
}
