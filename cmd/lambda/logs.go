package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

type logsOptions struct {
	follow     bool
	since      string
	until      string
	tail       int
	invocation string
	version    int
	instance   string
	output     string
}

func newLogsCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &logsOptions{}
	cmd := &cobra.Command{
		Use:   "logs NAME",
		Short: "Print what a function's instances printed",
		Long: `Logs prints the lines a function's instances wrote to stdout and stderr, oldest
first: time, version, instance, invocation ID (when the platform knows it:
always for aws, handler and stdio functions) and the line. The server keeps
each function's logs within a size and an age (lambda server --log-max-bytes,
--log-retention), across restarts and scale-to-zero.

Around each invocation the platform adds Lambda's own lines: START, END and
REPORT (Duration, Billed Duration, Memory Size, Max Memory Used, and Init
Duration on a cold start); --invocation ID prints exactly START to REPORT.

With -f it goes on printing new lines as instances print them, across new
instances, versions and restarts of the server, until Ctrl-C.

Control characters in a line (a carriage return, terminal escapes) are
printed escaped, as \r or \x1b; -o json prints the lines as stored.`,
		Example: `  lambda logs greet
  lambda logs greet -f --tail 20
  lambda logs greet --since 10m --version 3
  lambda logs greet --invocation 3f1c9a2e-6b1d-4e8f-9a0b-1c2d3e4f5a6b -o json`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogs(cmd.Context(), s, root, o, args[0])
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.follow, "follow", "f", false, "keep printing new lines until Ctrl-C")
	f.StringVar(&o.since, "since", "", "only lines since then: a duration back from now (10m, 24h, 7d) or an RFC 3339 time")
	f.StringVar(&o.until, "until", "", "only lines before then: a duration back from now or an RFC 3339 time (e.g. one attempt of an async job: lambda invocation ID shows its times); after --since, not with -f")
	f.IntVar(&o.tail, "tail", 0, "only the last N lines of what is stored (0: up to the server's limit)")
	f.StringVar(&o.invocation, "invocation", "", "only the lines of this invocation ID")
	f.IntVar(&o.version, "version", 0, "only the lines of this version")
	f.StringVar(&o.instance, "instance", "", "only the lines of this instance (container ID, or its first 12 characters)")
	addOutputFlag(cmd, &o.output)
	return cmd
}

func runLogs(ctx context.Context, s *streams, root *rootOptions, o *logsOptions, name string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	now := time.Now()
	var since, until time.Time
	if o.since != "" {
		var ok bool
		if since, ok = sinceTime(o.since, now); !ok {
			return usageErrorf("--since %q is invalid: use a duration back from now such as 10m, 24h or 7d, or an RFC 3339 time such as 2026-12-05T10:00:00Z", o.since)
		}
	}
	if o.until != "" {
		var ok bool
		if until, ok = sinceTime(o.until, now); !ok {
			return usageErrorf("--until %q is invalid: use a duration back from now such as 10m, 24h or 7d, or an RFC 3339 time such as 2026-12-05T10:00:00Z", o.until)
		}
	}
	// A window no line can be in is the user's slip, not an empty log.
	if o.since != "" && o.until != "" && !until.After(since) {
		return usageErrorf("--until %s is not after --since %s: no line can match; --until ends the window, --since opens it", o.until, o.since)
	}
	if o.follow && o.until != "" {
		return usageErrorf("-f follows new lines until Ctrl-C, --until %s ends a read: drop -f to read the lines before it, or --until to follow", o.until)
	}
	if o.tail < 0 {
		return usageErrorf("--tail %d is invalid: use a number of lines, 0 or more", o.tail)
	}
	if o.version < 0 {
		return usageErrorf("--version %d is invalid: use a version number (lambda versions %s lists them)", o.version, name)
	}
	q := lambdahttp.LogQuery{Since: o.since, Until: o.until, Tail: o.tail, Invocation: o.invocation, Version: o.version, Instance: o.instance}
	c := root.client()
	if o.follow {
		print := textLine(s.Out, s.Err)
		if o.output == outputJSON {
			enc := json.NewEncoder(s.Out)
			print = func(l lambda.LogLine) error { return enc.Encode(&l) } // NDJSON, a line each
		}
		return followLogs(ctx, s, c, name, q, print)
	}
	lines, err := c.Logs(ctx, name, q)
	if err != nil {
		return err
	}
	if o.output == outputJSON {
		return printJSON(s.Out, lines)
	}
	if len(lines) == 0 {
		fmt.Fprintf(s.Err, "No log lines of %q match: invoke it, or widen --since; follow new ones with \"lambda logs %s -f\".\n", name, name)
		return nil
	}
	print := textLine(s.Out, s.Err)
	for _, l := range lines {
		if err := print(l); err != nil {
			return err
		}
	}
	return nil
}

// textLine prints a line as TIME vVERSION INSTANCE INVOCATION MESSAGE;
// the platform's notices go to errOut.
func textLine(out, errOut io.Writer) func(lambda.LogLine) error {
	return func(l lambda.LogLine) error {
		if l.Dropped > 0 {
			_, err := fmt.Fprintf(errOut, "lambda logs: %d lines dropped: this client fell behind the function's output\n", l.Dropped)
			return err
		}
		inv := l.Invocation
		if inv == "" {
			inv = "-"
		}
		msg := printable(l.Message)
		if l.Truncated {
			msg += " [truncated]"
		}
		_, err := fmt.Fprintf(out, "%s v%d %s %s %s\n", l.Time.UTC().Format("2006-01-02T15:04:05.000Z"), l.Version, short12(l.Instance), inv, msg)
		return err
	}
}

// printable escapes the control characters of a function's line (tabs
// aside), C0, DEL and C1, and the bidirectional overrides: printed raw on
// a terminal, a carriage return or a cursor movement would let a function
// write over the columns in front of its text and pass it off as another
// invocation's, and escape sequences reach the user's terminal.
func printable(msg string) string {
	i := strings.IndexFunc(msg, unsafeRune)
	if i < 0 {
		return msg
	}
	b := strings.Builder{}
	b.Grow(len(msg) + 16)
	b.WriteString(msg[:i])
	for _, r := range msg[i:] {
		switch {
		case !unsafeRune(r):
			b.WriteRune(r)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r < 0x20 && r != '\t' || r >= 0x7f && r <= 0x9f ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

func short12(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// reconnectEvery is how often a follow retries a server that went away.
var reconnectEvery = time.Second

// followLogs follows until Ctrl-C, across restarts of the server: when
// it goes away the follow resumes once it answers again, printing the
// lines stored meanwhile and nothing twice (see seenLines).
func followLogs(ctx context.Context, s *streams, c *lambdahttp.Client, name string, q lambdahttp.LogQuery, print func(lambda.LogLine) error) error {
	seen := newSeenLines()
	dedup := func(l lambda.LogLine) error {
		if l.Dropped > 0 {
			return print(l) // a notice of the server's, not a line
		}
		if !seen.add(&l) {
			return nil
		}
		return print(l)
	}
	// away: the server did not answer; ended: it ended the stream and
	// was not asked again yet. It ends a follow when the function is
	// deleted as well as when it stops, so it is asked again at once
	// before the user is told it went away.
	away, ended := false, false
	for {
		err := c.FollowLogs(ctx, name, q, func(l lambda.LogLine) error {
			ended = false
			if away {
				fmt.Fprintln(s.Err, "lambda logs: reconnected")
				away = false
			}
			return dedup(l)
		})
		if ended && lambda.ErrorCode(err) == lambda.ENOTFOUND {
			return fmt.Errorf("%q was deleted while its logs were followed: %w", name, err)
		}
		var unreachable *lambdahttp.UnreachableError
		if err == nil || ctx.Err() != nil || !(errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &unreachable) || lambda.ErrorCode(err) == lambda.EUNAVAILABLE) {
			return err
		}
		if since := seen.since(); !since.IsZero() {
			q.Since, q.Tail = since.UTC().Format(time.RFC3339Nano), 0
		}
		if !away && !ended && errors.Is(err, io.ErrUnexpectedEOF) {
			ended = true
			continue
		}
		if !away {
			fmt.Fprintf(s.Err, "lambda logs: the server went away (%v); reconnecting until Ctrl-C\n", err)
			away = true
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(reconnectEvery):
		}
	}
}
