package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type invocationOptions struct {
	output string
	logs   bool
}

// newInvocationGetCommand shows one invocation; it serves as both
// "lambda invocation ID" and "lambda invocations get ID".
func newInvocationGetCommand(s *streams, root *rootOptions, use, short string) *cobra.Command {
	o := &invocationOptions{}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long: `Shows an invocation's record: its status and outcome, the function's
response, the event it was given, and each attempt with the end of its output
(START, the last 4 KB the function printed, END and REPORT). With --logs, each
attempt's whole log from the log store instead. Attempts run under the job's ID,
as on Lambda; each attempt's log is its lines within its time. IDs are those
"lambda invoke --async" prints and "lambda invocations NAME" lists.`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInvocation(cmd.Context(), s, root, o, args[0])
		},
	}
	addOutputFlag(cmd, &o.output)
	cmd.Flags().BoolVar(&o.logs, "logs", false, "print each attempt's whole log from the log store, not only the end of its output")
	return cmd
}

func newInvocationCommand(s *streams, root *rootOptions) *cobra.Command {
	return newInvocationGetCommand(s, root, "invocation ID", "Show an invocation: status, response and each attempt's logs")
}

func runInvocation(ctx context.Context, s *streams, root *rootOptions, o *invocationOptions, id string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if strings.TrimSpace(id) == "" {
		return usageErrorf("the invocation ID is empty: pass one that \"lambda invocations NAME\" lists")
	}
	c := root.client()
	job, err := c.GetInvocation(ctx, id)
	if err != nil {
		return err
	}
	var logs []attemptLogs
	if o.logs {
		if logs, err = fetchAttemptLogs(ctx, c, job); err != nil {
			return err
		}
	}
	if o.output == outputJSON {
		if o.logs {
			return printJSON(s.Out, invocationWithLogs{Invocation: job, Logs: logs})
		}
		return printJSON(s.Out, job)
	}
	return printInvocation(s.Out, job, time.Now(), logs...)
}

// printInvocation writes a header block, the response and the event, then
// each attempt with its logs: its whole log when given (--logs), else
// the end of its output.
func printInvocation(w io.Writer, j *lambda.Job, now time.Time, whole ...attemptLogs) error {
	tw := newTable(w)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("ID", j.ID)
	fn := j.Function
	if j.Version > 0 {
		fn += fmt.Sprintf(" (version %d)", j.Version)
	}
	row("Function", fn)
	if j.Qualifier != "" {
		row("Qualifier", j.Qualifier)
	}
	row("Status", j.Status)
	row("Trigger", string(j.Trigger))
	if n := len(j.History); n > 0 && j.History[n-1].TraceID != "" {
		row("Trace", j.History[n-1].TraceID) // the last attempt's
	}
	if j.Schedule != "" {
		row("Schedule", j.Schedule)
	}
	row("Attempts", fmt.Sprint(j.Attempts))
	row("Created", fmt.Sprintf("%s (%s)", timestamp(j.CreatedAt), age(now, j.CreatedAt)))
	if j.Status == lambda.StatusQueued || j.Status == lambda.StatusRetrying {
		row("Next run", timestamp(j.NextRunAt))
	}
	if j.StartedAt != nil {
		row("Started", timestamp(*j.StartedAt))
	}
	if j.FinishedAt != nil {
		row("Finished", timestamp(*j.FinishedAt))
	}
	switch {
	case j.StartedAt != nil && j.Status == lambda.StatusRunning:
		// Its Duration is not this attempt's yet (0s, or the last one's).
		row("Duration", fmt.Sprintf("running, %s so far", max(now.Sub(*j.StartedAt), 0).Round(time.Second)))
	case j.StartedAt != nil:
		row("Duration", roundDuration(time.Duration(j.Duration)).String())
	}
	if j.HTTPStatus != 0 {
		row("HTTP status", fmt.Sprint(j.HTTPStatus))
	}
	if j.Timeout != 0 {
		row("Timeout", time.Duration(j.Timeout).String())
	}
	if j.IdempotencyKey != "" {
		row("Idempotency key", j.IdempotencyKey)
	}
	if e := jobError(j); e != "" {
		row("Error", e)
	}
	if j.Depth > 0 {
		row("Destination hop", fmt.Sprintf("%d (a record another invocation sent; chains of destinations stop after %d)", j.Depth, lambda.MaxDestinationDepth))
	}
	if d := j.Destination; d != nil {
		row("Destination", describeDelivery(d))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(j.Response) > 0 {
		title := "Response"
		if j.ResponseTruncated {
			title += fmt.Sprintf(" (cut: the first %d KB are kept)", lambda.MaxStoredResponseBytes>>10)
		}
		fmt.Fprintf(w, "\n%s:\n", title)
		if err := copyBody(w, strings.NewReader(string(j.Response))); err != nil {
			return err
		}
	}
	if len(j.Payload) > 0 {
		fmt.Fprintln(w, "\nEvent:")
		if err := copyBody(w, strings.NewReader(string(j.Payload))); err != nil {
			return err
		}
	}
	linked := false
	for n, a := range j.History {
		linked = linked || a.LogsPath != ""
		fmt.Fprintf(w, "\nAttempt %d: %s\n", a.Attempt, describeAttempt(a))
		if a.Error != "" {
			fmt.Fprintf(w, "  Error: %s\n", a.Error)
		}
		if a.RuntimeExit != "" {
			fmt.Fprintf(w, "  Runtime exit: %s\n", describeRuntimeExit(a.RuntimeExit))
		}
		if i := slices.IndexFunc(whole, func(l attemptLogs) bool { return l.index == n }); i >= 0 {
			printAttemptLines(w, whole[i].Lines)
			continue
		}
		if logs := strings.TrimRight(a.Logs, "\n"); logs != "" {
			fmt.Fprintln(w, "  Logs:")
			for _, line := range strings.Split(logs, "\n") {
				fmt.Fprintf(w, "    %s\n", printable(line))
			}
		}
	}
	if linked && whole == nil {
		fmt.Fprintf(w, "\nEach attempt's whole log: lambda invocation %s --logs\n", j.ID)
	}
	return nil
}

// describeRuntimeExit says how the function's runtime died during an
// attempt, as the server recorded it (a short line of printable ASCII,
// lambda.ParseRuntimeExit; printable anyway, a record comes from a server).
func describeRuntimeExit(how string) string {
	if how == lambda.RuntimeExitUnknown {
		return "unknown (the instance went without saying how)"
	}
	return printable(how)
}

// describeAttempt sums an attempt up on one line.
func describeAttempt(a lambda.JobAttempt) string {
	parts := []string{a.Status, timestamp(a.Start), roundDuration(time.Duration(a.Duration)).String()}
	if a.Version > 0 {
		parts = append(parts, fmt.Sprintf("version %d", a.Version))
	}
	if a.HTTPStatus != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", a.HTTPStatus))
	}
	if a.Cold {
		parts = append(parts, "cold start")
	}
	if a.ErrorType != "" {
		parts = append(parts, a.ErrorType)
	}
	if !a.Counted {
		switch a.ErrorType {
		case lambda.ENOTFOUND, lambda.EINVALID, lambda.ETOOLARGE:
			// The async queue ends such a job at once (async/run.go).
			parts = append(parts, "not retried (the event cannot run: retrying would not help)")
		default:
			parts = append(parts, "not counted (throttled or platform error: retried without using a retry)")
		}
	}
	return strings.Join(parts, ", ")
}

// describeDelivery sums up what became of a job's destination record.
func describeDelivery(d *lambda.DestinationDelivery) string {
	s := fmt.Sprintf("%s %s (%s): ", d.Setting, d.Function, d.Condition)
	if d.ID == "" {
		return s + d.Error
	}
	s += "record queued as " + d.ID
	if d.Truncated {
		s += fmt.Sprintf(", its payloads cut to fit in %d MB", lambda.MaxAsyncPayloadBytes>>20)
	}
	return s
}

// jobError sums up why a job failed: its error type, the function's error
// kind and the message.
func jobError(j *lambda.Job) string {
	var parts []string
	if j.ErrorType != "" {
		parts = append(parts, j.ErrorType)
	}
	if j.FunctionError != "" {
		parts = append(parts, j.FunctionError)
	}
	e := strings.Join(parts, " ")
	if j.ErrorMessage != "" {
		if e != "" {
			e += ": "
		}
		e += j.ErrorMessage
	}
	return e
}
