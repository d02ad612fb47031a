package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lambdahq/lambda"
)

type invocationsOptions struct {
	status string
	since  string
	limit  int
	cursor string
	all    bool
	out    listOutput
}

func newInvocationsCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &invocationsOptions{}
	cmd := &cobra.Command{
		Use:   "invocations NAME",
		Short: "List a function's invocations, synchronous and asynchronous, newest first",
		Long: `Invocations lists the invocations of a function that the server keeps a
record of, newest first: asynchronous ones, cron ticks and calls with an
idempotency key (kept for the server's --invocation-retention), and the
last ` + strconv.Itoa(lambda.MaxInvocationsKept) + ` synchronous ones (requests to its URL, "lambda invoke", the
Lambda Invoke API), which end succeeded or failed. TRIGGER says which.
Status is one of: ` + strings.Join(lambda.InvocationStatuses, ", ") + `.
A full page ends with the --cursor of the next one (on stderr); --all
follows every page (1000 at a time unless --limit says otherwise).
Show one in full, with its response and each attempt's logs, with
"lambda invocation ID" (or "lambda invocations get ID").

A function named "get": "lambda invocations get" (no ID) lists its
invocations; with flags, end them with -- before the name, as for any
argument that could be read as a subcommand:
"lambda invocations --status failed -- get".`,
		Example: `  lambda invocations greet
  lambda invocations greet --status dead --since 7d
  lambda invocations greet --limit 100 --cursor MTc2NDk1...   # the next page
  lambda invocations greet --status dead --all -o json         # every page
  lambda invocations get 3f1c9a2e-6b1d-4e8f-9a0b-1c2d3e4f5a6b
  lambda invocations -o json -- get                            # the function named get`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.all && !cmd.Flags().Changed("limit") {
				o.limit = lambda.MaxJobListLimit // fewer round trips
			}
			return runInvocations(cmd.Context(), s, root, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.status, "status", "", "only invocations with this status ("+strings.Join(lambda.InvocationStatuses, ", ")+")")
	f.StringVar(&o.since, "since", "", "only invocations created since then: a duration back from now (30m, 24h, 7d) or an RFC 3339 time")
	f.IntVar(&o.limit, "limit", lambda.DefaultJobListLimit, fmt.Sprintf("how many to list (per page with --all), at most %d", lambda.MaxJobListLimit))
	f.StringVar(&o.cursor, "cursor", "", "list the page after the one that printed this cursor")
	f.BoolVar(&o.all, "all", false, "list every page, not only the first")
	addListFlags(cmd, &o.out, "invocation IDs")
	cmd.AddCommand(newInvocationsGetCommand(s, root, o))
	return cmd
}

// newInvocationsGetCommand is "invocations get ID", which shows one; with
// no ID it lists the function named get, whose name the subcommand
// shadows: the only reading of "lambda invocations get" that can succeed.
// Its flags are the subcommand's, not the listing's, so that form takes
// none: "lambda invocations [flags] -- get" says which is meant.
func newInvocationsGetCommand(s *streams, root *rootOptions, list *invocationsOptions) *cobra.Command {
	cmd := newInvocationGetCommand(s, root, "get ID", "Show an invocation in full (the same as \"lambda invocation ID\")")
	show := cmd.RunE
	cmd.Args = argsRange(0, 1)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 {
			return show(cmd, args)
		}
		changed := false
		cmd.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) { changed = changed || f.Changed })
		if changed {
			return usageErrorf("to show an invocation, pass its ID: \"lambda invocations get ID\"; to list the invocations of the function named get with flags, put them before --: \"lambda invocations -o json -- get\"")
		}
		err := runInvocations(cmd.Context(), s, root, list, "get")
		if lambda.ErrorCode(err) == lambda.ENOTFOUND {
			return fmt.Errorf("%w (to show an invocation, pass its ID: \"lambda invocations get ID\")", err)
		}
		return err
	}
	return cmd
}

func runInvocations(ctx context.Context, s *streams, root *rootOptions, o *invocationsOptions, name string) error {
	if err := o.out.check(); err != nil {
		return err
	}
	if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	f, err := o.filter(time.Now())
	if err != nil {
		return err
	}
	jobs, next, err := listInvocations(ctx, root, name, f, o.all)
	if err != nil {
		return err
	}
	if o.out.data() || o.out.quiet {
		if o.out.quiet {
			ids := make([]string, len(jobs))
			for i, j := range jobs {
				ids[i] = j.ID
			}
			err = printQuiet(s.Out, ids)
		} else {
			err = o.out.print(s.Out, jobs)
		}
		if err != nil {
			return err
		}
		printNextPage(s, name, next)
		return nil
	}
	if len(jobs) == 0 {
		what := "invocations"
		if o.status != "" {
			what = o.status + " invocations"
		}
		if lambda.SyncStatus(o.status) {
			fmt.Fprintf(s.Err, "No %s of %q: run one with \"lambda invoke %s\" (or --async).\n", what, name, name)
		} else {
			fmt.Fprintf(s.Err, "No %s of %q: queue one with \"lambda invoke %s --async\".\n", what, name, name)
		}
		return nil
	}
	p := painter{on: colours(s, root.noColor)}
	tw := newTable(s.Out)
	fmt.Fprintf(tw, "ID\t%s\tTRIGGER\tATTEMPTS\tSTARTED\tDURATION\n", p.header("STATUS"))
	for _, j := range jobs {
		started, took := "-", "-"
		if j.StartedAt != nil {
			started = timestamp(*j.StartedAt)
		}
		// A running job's duration is not known yet: it read 0s (or the
		// last attempt's), as if it had ended.
		if j.StartedAt != nil && j.Status != lambda.StatusRunning {
			took = roundDuration(time.Duration(j.Duration)).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", j.ID, p.status(j.Status), j.Trigger, j.Attempts, started, took)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	printNextPage(s, name, next)
	return nil
}

// listInvocations lists a page, or with all every page from f's: it
// returns the jobs and the cursor of the page after them ("" at the end).
func listInvocations(ctx context.Context, root *rootOptions, name string, f lambda.JobFilter, all bool) ([]*lambda.Job, string, error) {
	c := root.client()
	jobs := []*lambda.Job{}
	for {
		page, err := c.ListInvocationsPage(ctx, name, f)
		if err != nil {
			return nil, "", err
		}
		jobs = append(jobs, page.Invocations...)
		if !all || page.NextCursor == "" || len(page.Invocations) == 0 {
			return jobs, page.NextCursor, nil
		}
		next, err := lambda.ParseJobCursor(page.NextCursor)
		if err != nil {
			return nil, "", err
		}
		if f.After != nil && next.Seq == f.After.Seq && next.Record == f.After.Record && next.CreatedAt.Equal(f.After.CreatedAt) {
			return nil, "", fmt.Errorf("the server answered the page after cursor %s with the same cursor: stopping rather than listing it again", page.NextCursor)
		}
		f.After = next
	}
}

// printNextPage tells, after a full page, how to list the next.
func printNextPage(s *streams, name, next string) {
	if next != "" {
		fmt.Fprintf(s.Err, "More invocations: add --cursor %s for the next page, or --all for every one.\n", next)
	}
}

// filter checks the flags and turns them into the listing's filter.
func (o *invocationsOptions) filter(now time.Time) (lambda.JobFilter, error) {
	f := lambda.JobFilter{Status: o.status, Limit: o.limit}
	if o.status != "" && !slices.Contains(lambda.InvocationStatuses, o.status) {
		return f, usageErrorf("--status %q is not a status: use one of %s", o.status, strings.Join(lambda.InvocationStatuses, ", "))
	}
	if o.limit < 1 || o.limit > lambda.MaxJobListLimit {
		return f, usageErrorf("--limit %s is out of range: use 1 to %d", strconv.Itoa(o.limit), lambda.MaxJobListLimit)
	}
	if o.since != "" {
		t, ok := sinceTime(o.since, now)
		if !ok {
			return f, usageErrorf("--since %q is invalid: use a duration back from now such as 30m, 24h or 7d, or an RFC 3339 time such as 2026-12-05T10:00:00Z", o.since)
		}
		f.Since = t
	}
	if o.cursor != "" {
		c, err := lambda.ParseJobCursor(o.cursor)
		if err != nil {
			return f, usageErrorf("--cursor %q is not a cursor a listing printed: copy it from the \"More invocations\" line, or leave it out for the newest", o.cursor)
		}
		f.After = c
	}
	return f, nil
}

// sinceTime reads a point in the past: a positive duration back from now
// (30m, 24h, 7d), or an RFC 3339 time.
func sinceTime(v string, now time.Time) (time.Time, bool) {
	t, err := lambda.ParsePastTime(v, now)
	return t, err == nil
}
