package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// attemptLogs are the lines of one attempt of a job (lambda invocation
// ID --logs -o json).
type attemptLogs struct {
	Attempt int              `json:"attempt"`
	Start   string           `json:"start"`
	Lines   []lambda.LogLine `json:"lines"`
	index   int              // in the job's History
}

// invocationWithLogs is `lambda invocation ID --logs -o json`.
type invocationWithLogs struct {
	Invocation *lambda.Job   `json:"invocation"`
	Logs       []attemptLogs `json:"attempt_logs"`
}

// fetchAttemptLogs reads the whole log of each attempt of j that has one
// (its LogsPath), oldest attempt first.
func fetchAttemptLogs(ctx context.Context, c *lambdahttp.Client, j *lambda.Job) ([]attemptLogs, error) {
	var out []attemptLogs
	for i, a := range j.History {
		if a.LogsPath == "" {
			continue
		}
		name, q, err := logsPathQuery(a.LogsPath)
		if err != nil {
			return nil, err
		}
		lines, err := c.Logs(ctx, name, q)
		if lambda.ErrorCode(err) == lambda.ENOTFOUND {
			lines, err = nil, nil // past the log retention, or the function is gone
		}
		if lambda.ErrorCode(err) == lambda.EFORBIDDEN {
			// An invoke key reads the record, not the logs.
			return nil, lambda.Errorf(lambda.EFORBIDDEN, "read the logs of attempt %d: %s: without --logs the invocation shows each attempt's last 4 KB; its whole log takes a key that may read %s", a.Attempt, lambda.ErrorMessage(err), name)
		}
		if err != nil {
			return nil, fmt.Errorf("read the logs of attempt %d: %w", a.Attempt, err)
		}
		if lines == nil {
			lines = []lambda.LogLine{}
		}
		out = append(out, attemptLogs{Attempt: a.Attempt, Start: timestamp(a.Start), Lines: lines, index: i})
	}
	return out, nil
}

// logsPathQuery reads an attempt's LogsPath
// (/v1/functions/NAME/logs?invocation=…&since=…&until=…).
func logsPathQuery(p string) (string, lambdahttp.LogQuery, error) {
	u, err := url.Parse(p)
	rest, ok := "", false
	if err == nil {
		rest, ok = strings.CutPrefix(u.Path, "/v1/functions/")
	}
	name, tail, _ := strings.Cut(rest, "/")
	if !ok || tail != "logs" || name == "" {
		return "", lambdahttp.LogQuery{}, fmt.Errorf("the server gave an attempt's logs as %q, not a path of GET /v1/functions/{name}/logs: is the CLI older than the server?", p)
	}
	v := u.Query()
	return name, lambdahttp.LogQuery{Invocation: v.Get("invocation"), Since: v.Get("since"), Until: v.Get("until")}, nil
}

// printAttemptLines prints an attempt's whole log under its header.
func printAttemptLines(w io.Writer, lines []lambda.LogLine) {
	if len(lines) == 0 {
		fmt.Fprintln(w, "  Logs: none stored (past the log retention, or the attempt printed nothing before the server stopped)")
		return
	}
	fmt.Fprintln(w, "  Logs:")
	for _, l := range lines {
		fmt.Fprintf(w, "    %s %s\n", l.Time.UTC().Format("2006-01-02T15:04:05.000Z"), printable(strings.TrimRight(l.Message, "\t")))
	}
}
