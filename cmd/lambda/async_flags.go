package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/lambdahq/lambda"
)

// asyncFlags are a function's settings of asynchronous invocations, the
// same on deploy and config.
type asyncFlags struct {
	maxRetries       int
	retryDelay       string
	maxEventAge      string
	asyncConcurrency int
	onSuccess        string
	onFailure        string
}

// asyncFlagNames lists the flags, for messages that say what to pass.
var asyncFlagNames = []string{"--max-retries", "--retry-delay", "--max-event-age", "--async-concurrency", "--on-success", "--on-failure"}

func (a *asyncFlags) register(f *pflag.FlagSet) {
	f.IntVar(&a.maxRetries, "max-retries", 0, fmt.Sprintf("retries of a failed async invocation, 0-%d (default %d)", lambda.MaxMaxRetries, lambda.DefaultMaxRetries))
	f.StringVar(&a.retryDelay, "retry-delay", "", fmt.Sprintf("wait before the first retry, doubled for the next, %s-%s, e.g. 2s (0: the default, %s)",
		lambda.FormatDuration(lambda.MinRetryDelay), lambda.FormatDuration(lambda.MaxRetryDelay), lambda.FormatDuration(lambda.DefaultRetryDelay)))
	f.StringVar(&a.maxEventAge, "max-event-age", "", fmt.Sprintf("how long an async invocation may wait and retry before it is dead, %s-%s (0: the default, %s)",
		lambda.FormatDuration(lambda.MinMaxEventAge), lambda.FormatDuration(lambda.MaxMaxEventAge), lambda.FormatDuration(lambda.DefaultMaxEventAge)))
	f.IntVar(&a.asyncConcurrency, "async-concurrency", 0, "most async invocations running at once, leaving the rest of the function's capacity to requests (0: all of it)")
	f.StringVar(&a.onSuccess, "on-success", "", `function invoked asynchronously with a record of each async invocation that succeeds ("" for none)`)
	f.StringVar(&a.onFailure, "on-failure", "", `function invoked asynchronously with a record of each async invocation that ends dead ("" for none)`)
}

// apply sets in p the flags the user gave, each checked before anything is
// sent.
func (a *asyncFlags) apply(changed func(string) bool, p *lambda.ScalingPatch) error {
	if changed("max-retries") {
		if err := (lambda.Scaling{MaxRetries: &a.maxRetries}).Validate(); err != nil {
			return usageErrorf("--max-retries: %s", lambda.ErrorMessage(err))
		}
		p.MaxRetries = &a.maxRetries
	}
	for _, d := range []struct {
		flag string
		text string
		dst  **lambda.Duration
		sc   func(lambda.Duration) lambda.Scaling
	}{
		{"retry-delay", a.retryDelay, &p.RetryDelay, func(d lambda.Duration) lambda.Scaling { return lambda.Scaling{RetryDelay: d} }},
		{"max-event-age", a.maxEventAge, &p.MaxEventAge, func(d lambda.Duration) lambda.Scaling { return lambda.Scaling{MaxEventAge: d} }},
	} {
		if !changed(d.flag) {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil {
			return usageErrorf("--%s %q is invalid: use a duration like 2s, 30s or 5m, or 0 for the default", d.flag, d.text)
		}
		ld := lambda.Duration(v)
		if err := d.sc(ld).Validate(); err != nil {
			return usageErrorf("--%s: %s", d.flag, lambda.ErrorMessage(err))
		}
		*d.dst = &ld
	}
	if changed("async-concurrency") {
		if err := (lambda.Scaling{AsyncConcurrency: a.asyncConcurrency}).Validate(); err != nil {
			return usageErrorf("--async-concurrency: %s", lambda.ErrorMessage(err))
		}
		p.AsyncConcurrency = &a.asyncConcurrency
	}
	for _, d := range []struct {
		flag, name string
		dst        **string
	}{{"on-success", a.onSuccess, &p.OnSuccess}, {"on-failure", a.onFailure, &p.OnFailure}} {
		if !changed(d.flag) {
			continue
		}
		if d.name != "" {
			if err := lambda.ValidateName(d.name); err != nil {
				return usageErrorf("--%s: %s", d.flag, lambda.ErrorMessage(err))
			}
		}
		name := d.name
		*d.dst = &name
	}
	return nil
}

// checkOwnDestination refuses a function named as its own destination
// before anything is uploaded: each outcome would invoke the function
// again, without end.
func checkOwnDestination(name string, p lambda.ScalingPatch) error {
	for _, d := range p.Apply(lambda.Scaling{}).Destinations() {
		if d.Function == name {
			return usageErrorf("%s %q is the function itself: a function cannot be its own destination (it would loop); name another function", d.Setting, d.Function)
		}
	}
	return nil
}

// describeAsync renders the settings of asynchronous invocations on one
// line; sc holds the settings in force (defaults filled in by the server).
func describeAsync(sc lambda.Scaling) string {
	retries := lambda.DefaultMaxRetries
	if sc.MaxRetries != nil {
		retries = *sc.MaxRetries
	}
	or := func(d lambda.Duration, def time.Duration) string {
		if d == 0 {
			return lambda.FormatDuration(def)
		}
		return lambda.FormatDuration(time.Duration(d))
	}
	concurrency := "all"
	if sc.AsyncConcurrency > 0 {
		concurrency = strconv.Itoa(sc.AsyncConcurrency)
	}
	dest := func(s string) string {
		if s == "" {
			return "none"
		}
		return s
	}
	return fmt.Sprintf("max retries %d, retry delay %s (doubling), max event age %s, async concurrency %s, on success %s, on failure %s",
		retries, or(sc.RetryDelay, lambda.DefaultRetryDelay), or(sc.MaxEventAge, lambda.DefaultMaxEventAge), concurrency, dest(sc.OnSuccess), dest(sc.OnFailure))
}
