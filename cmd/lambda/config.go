package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdahq/lambda"
)

type configOptions struct {
	concurrency  int
	minInstances int
	maxInstances int
	idleTimeout  string
	startTimeout string
	standby      string
	reserved     string
	auth         string
	async        asyncFlags
	output       string
}

func newConfigCommand(s *streams, root *rootOptions) *cobra.Command {
	o := &configOptions{}
	cmd := &cobra.Command{
		Use:   "config NAME",
		Short: "Change a function's scaling, access and retries without a redeploy",
		Long: `Config changes a function's instance pool at once, without a redeploy:
how many requests one instance serves at a time, how many instances are kept
warm and allowed, how long an idle instance lives, how long a new instance
may take to become ready (deploys, rollbacks and cold starts fail past it),
and a cap on the function's concurrent requests (0 disables the function:
every request gets 429). Flags you do not give keep their value.

Asynchronous invocations (lambda invoke --async, the Invoke API's Event type,
cron) are retried after a function error: --max-retries times (0-2, default 2),
first after --retry-delay (default 1m), then after twice that, for at most
--max-event-age (default 6h) from their submission. --async-concurrency keeps
a burst of them from taking the whole function. --on-success and --on-failure
name other functions that receive, asynchronously, a record of each
invocation that succeeded or ended dead (--on-failure "" removes it).`,
		Example: `  lambda config greet --min-instances 1 --max-instances 5
  lambda config greet --concurrency 8 --idle-timeout 30s
  lambda config greet --start-timeout 2m            # a slow starter
  lambda config greet --reserved-concurrency 0      # disable
  lambda config greet --reserved-concurrency none   # remove the cap
  lambda config greet --max-retries 1 --retry-delay 10s --on-failure greet-dlq
  lambda config greet --on-failure ""               # no failure destination`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			patch, err := o.patch(cmd, args[0])
			if err != nil {
				return err
			}
			return runConfig(cmd.Context(), s, root, o, args[0], patch)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.concurrency, "concurrency", 0, "requests one instance serves at a time (0: 1 for handler, aws and stdio functions, 16 for http)")
	f.IntVar(&o.minInstances, "min-instances", 0, "instances kept warm at all times")
	f.IntVar(&o.maxInstances, "max-instances", 0, "most instances at once (0: 10)")
	f.StringVar(&o.idleTimeout, "idle-timeout", "", "how long an idle instance above the minimum lives, 1s-24h, e.g. 30s (0: the default, 5m)")
	f.StringVar(&o.startTimeout, "start-timeout", "", "how long a new instance may take to become ready, 1s-15m, e.g. 2m (0: the default, 60s)")
	f.StringVar(&o.standby, "standby-timeout", "", "how long an idle instance above the minimum stays paused (no CPU, memory kept; a request resumes it in milliseconds) before it stops, 1s-24h (default 10m; 0: never paused, stopped at the idle timeout)")
	f.StringVar(&o.reserved, "reserved-concurrency", "", "cap on concurrent requests; 0 disables the function, none removes the cap")
	f.StringVar(&o.auth, "auth", "", "who may call the function's URL: none (anyone) or key (Authorization: Bearer KEY of invoke scope)")
	o.async.register(f)
	addOutputFlag(cmd, &o.output)
	return cmd
}

// patch holds only the flags the user set, for function name.
func (o *configOptions) patch(cmd *cobra.Command, name string) (lambda.ScalingPatch, error) {
	var p lambda.ScalingPatch
	f := cmd.Flags()
	if f.Changed("concurrency") {
		p.Concurrency = &o.concurrency
	}
	if f.Changed("min-instances") {
		p.MinInstances = &o.minInstances
	}
	if f.Changed("max-instances") {
		p.MaxInstances = &o.maxInstances
	}
	if f.Changed("idle-timeout") {
		d, err := time.ParseDuration(o.idleTimeout)
		if err != nil {
			return p, usageErrorf("--idle-timeout %q is invalid: use a duration like 30s or 5m, or 0 for the default", o.idleTimeout)
		}
		if err := lambda.ValidateIdleTimeout(d); err != nil {
			return p, usageErrorf("--idle-timeout: %w", err)
		}
		ld := lambda.Duration(d)
		p.IdleTimeout = &ld
	}
	if f.Changed("start-timeout") {
		d, err := parseStartTimeout(o.startTimeout)
		if err != nil {
			return p, err
		}
		p.StartTimeout = &d
	}
	if f.Changed("standby-timeout") {
		d, err := parseStandbyTimeout(o.standby)
		if err != nil {
			return p, err
		}
		p.StandbyTimeout = &d
	}
	if f.Changed("auth") {
		if err := lambda.ValidateAuth(o.auth); err != nil {
			return p, usageErrorf("--auth: %w", err)
		}
		p.Auth = &o.auth
	}
	if f.Changed("reserved-concurrency") {
		n := -1
		if o.reserved != "none" {
			v, err := strconv.Atoi(o.reserved)
			if err != nil || v < 0 {
				return p, usageErrorf("--reserved-concurrency %q is invalid: use a number from 0, or none", o.reserved)
			}
			n = v
		}
		p.Reserved = &n
	}
	if err := o.async.apply(f.Changed, &p); err != nil {
		return p, err
	}
	if p.IsZero() {
		return p, usageErrorf("nothing to change: give at least one of --concurrency, --min-instances, --max-instances, --idle-timeout, --start-timeout, --standby-timeout, --reserved-concurrency, --auth, %s", strings.Join(asyncFlagNames, ", "))
	}
	return p, checkOwnDestination(name, p)
}

func runConfig(ctx context.Context, s *streams, root *rootOptions, o *configOptions, name string, patch lambda.ScalingPatch) error {
	if err := checkOutput(o.output); err != nil {
		return err
	}
	if err := lambda.ValidateName(name); err != nil {
		return usageErrorf("%w", err)
	}
	fn, err := root.client().UpdateScaling(ctx, name, patch)
	if err != nil {
		return err
	}
	if o.output == outputJSON {
		return printJSON(s.Out, fn)
	}
	fmt.Fprintf(s.Out, "Updated function %q: %s\n", name, describeScaling(fn.Scaling))
	if patch.HasAsync() {
		fmt.Fprintf(s.Out, "Async invocations: %s\n", describeAsync(fn.Scaling))
	}
	return nil
}

// describeScaling renders scaling settings on one line.
func describeScaling(sc lambda.Scaling) string {
	var b strings.Builder
	fmt.Fprintf(&b, "concurrency %d, instances %d-%d, idle timeout %s, start timeout %s, reserved ", sc.Concurrency, sc.MinInstances, sc.MaxInstances, time.Duration(sc.IdleTimeout), time.Duration(sc.StartTimeout))
	if sc.Reserved == nil {
		b.WriteString("none")
	} else {
		b.WriteString(strconv.Itoa(*sc.Reserved))
	}
	if sc.Auth == lambda.AuthKey {
		b.WriteString(", private (auth key)")
	}
	return b.String()
}
