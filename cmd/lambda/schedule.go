package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

type scheduleOptions struct {
	cron     string
	data     string
	timezone string
	overlap  string
	output   string
}

func newScheduleCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &scheduleOptions{}
	cmd := &cobra.Command{
		Use:   "schedule NAME --cron EXPR",
		Short: "Invoke a function on a cron schedule",
		Long: `Schedule queues an asynchronous invocation of the function with --data
(default {}) each time the cron expression fires, in the --tz time zone (default
UTC). Each tick is a job with the function's retries and destinations: see it
with "lambda invocations NAME".

--overlap decides what a tick does while an earlier one has not finished:
  skip   (default) the tick is skipped while an earlier one is queued, running
         or retrying
  queue  the tick waits for the running one to end; at most one waits, further
         ticks are skipped meanwhile
  allow  every tick runs, possibly at the same time as earlier ones`,
		Example: `  lambda schedule greet --cron "0 * * * *"
  lambda schedule report --cron "30 8 * * 1-5" --tz Europe/Paris --data '{"kind":"daily"}'
  lambda schedule list
  lambda schedule delete sch_123`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSchedule(cmd.Context(), s, root, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.cron, "cron", "", `cron expression, e.g. "0 * * * *" (required)`)
	f.StringVarP(&o.data, "data", "d", "", "JSON payload of each invocation (default {})")
	f.StringVar(&o.timezone, "tz", "", "time zone of the expression, e.g. Europe/Paris (default UTC)")
	f.StringVar(&o.overlap, "overlap", "", "skip, queue or allow a tick while an earlier one has not finished (default skip)")
	addOutputFlag(cmd, &o.output)
	cmd.AddCommand(newScheduleListCommand(s, root), newScheduleDeleteCommand(s, root))
	return cmd
}

func runSchedule(ctx context.Context, s *streams, root *rootOptions, o *scheduleOptions, name string) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	if o.cron == "" {
		return usageErrorf(`--cron is required, e.g. --cron "0 * * * *" for every hour`)
	}
	switch o.overlap {
	case "", lambda.OverlapSkip, lambda.OverlapQueue, lambda.OverlapAllow:
	default:
		return usageErrorf("--overlap %q is invalid: use %s, %s or %s", o.overlap, lambda.OverlapSkip, lambda.OverlapQueue, lambda.OverlapAllow)
	}
	req := lambdahttp.ScheduleRequest{Function: name, Cron: o.cron, Timezone: o.timezone, Overlap: o.overlap}
	if o.data != "" {
		if !json.Valid([]byte(o.data)) {
			return usageErrorf("--data is not valid JSON: quote it for your shell, e.g. --data '{\"name\":\"Ada\"}'")
		}
		req.Data = json.RawMessage(o.data)
	}
	sch, err := root.client().CreateSchedule(ctx, req)
	if err != nil {
		return err
	}
	if o.output == outputJSON {
		return printJSON(s.Out, sch)
	}
	fmt.Fprintf(s.Out, "Scheduled function %q with cron: %s  (id %s, next run %s)\n", sch.Function, sch.Cron, sch.ID, timestamp(sch.NextRunAt))
	return nil
}
