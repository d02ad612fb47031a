package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type statsOptions struct {
	window string
	out    listOutput
}

func newStatsCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &statsOptions{}
	cmd := &cobra.Command{
		Use:   "stats NAME",
		Short: "Show a function's invocations, errors, throttles, cold starts and latency over time",
		Long: `Stats shows what a function's invocations added up to over a window, bucket
by bucket: invocations, errors, throttles, cold starts and the duration's
p50, p95 and p99. Above the table, one line each sketches the requests and
the p95 over the window. The last bucket is the current one, still filling.

Windows: ` + windowList() + `.
Invocations count every finished invocation, throttled ones included;
errors are those the function or the platform failed (function errors,
crashes, timeouts, platform errors), not throttles nor refused callers;
the percentiles are of the invocations an instance served. The server keeps
7 days of history, across restarts; a deleted function's goes with it.`,
		Example: `  lambda stats greet
  lambda stats greet --window 24h
  lambda stats greet --window 7d -o json`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStats(cmd.Context(), s, root, o, args[0])
		},
	}
	cmd.Flags().StringVar(&o.window, "window", lambda.DefaultStatsWindow, "how far back: "+windowList())
	addListFlags(cmd, &o.out, "") // buckets have no name nor ID to print alone
	return cmd
}

// windowList describes the windows there are, as "1h (1m buckets), …".
func windowList() string {
	ws := make([]string, len(lambda.StatsWindows))
	for i, w := range lambda.StatsWindows {
		ws[i] = fmt.Sprintf("%s (%d buckets of %s)", w.Name, w.Buckets(), shortDuration(w.Step))
	}
	return strings.Join(ws, ", ")
}

func runStats(ctx context.Context, s *streams, root *rootOptions, o *statsOptions, name string) error {
	if err := o.out.check(); err != nil {
		return err
	}
	if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	if _, err := lambda.ParseStatsWindow(o.window); err != nil {
		return usageErrorf("--window: %s", lambda.ErrorMessage(err))
	}
	st, err := root.client().Stats(ctx, name, o.window)
	if err != nil {
		return err
	}
	if o.out.data() {
		return o.out.print(s.Out, st)
	}
	return printStats(s.Out, st)
}

// printStats writes the sparklines, then the buckets, oldest first, then
// the window's total.
func printStats(w io.Writer, st *lambda.FunctionStats) error {
	step := time.Duration(st.StepSeconds) * time.Second
	fmt.Fprintf(w, "%s, last %s in buckets of %s (UTC):\n", st.Function, st.Window, shortDuration(step))
	requests, p95 := make([]float64, len(st.Buckets)), make([]float64, len(st.Buckets))
	var maxReq, maxP95 float64
	for i, b := range st.Buckets {
		requests[i], p95[i] = float64(b.Invocations), b.P95Ms
		maxReq, maxP95 = max(maxReq, requests[i]), max(maxP95, p95[i])
	}
	fmt.Fprintf(w, "requests  %s  max %d per %s\n", sparkline(requests), int64(maxReq), shortDuration(step))
	fmt.Fprintf(w, "p95       %s  max %s\n\n", sparkline(p95), latency(maxP95, maxP95 > 0))
	tw := newTable(w)
	fmt.Fprintln(tw, "START\tINVOCATIONS\tERRORS\tTHROTTLES\tCOLD STARTS\tP50\tP95\tP99")
	layout := "15:04"
	if step >= time.Hour || st.End.Sub(st.Start) > 24*time.Hour {
		layout = "01-02 15:04"
	}
	row := func(start string, b lambda.StatsBucket) {
		timed := b.Timed > 0
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", start, b.Invocations, b.Errors, b.Throttles, b.ColdStarts,
			latency(b.P50Ms, timed), latency(b.P95Ms, timed), latency(b.P99Ms, timed))
	}
	for _, b := range st.Buckets {
		row(b.Start.UTC().Format(layout), b)
	}
	row("TOTAL", st.Total)
	return tw.Flush()
}

// latency renders milliseconds as a duration ("-" when nothing was timed).
func latency(ms float64, timed bool) string {
	if !timed {
		return "-"
	}
	return roundDuration(time.Duration(ms * float64(time.Millisecond))).String()
}

// shortDuration renders a step as "1m", "30m" or "3h".
func shortDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

var sparks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws values as one line of block characters, scaled to the
// largest: nothing is the lowest block, anything more at least the next.
func sparkline(values []float64) string {
	var top float64
	for _, v := range values {
		top = max(top, v)
	}
	var b strings.Builder
	for _, v := range values {
		level := 0
		if v > 0 && top > 0 {
			level = min(int(math.Ceil(v/top*float64(len(sparks)-1))), len(sparks)-1)
		}
		b.WriteRune(sparks[level])
	}
	return b.String()
}
