package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/lambdahq/lambda"
)

// jobOptions bound the queue of asynchronous invocations (as text until
// checked).
type jobOptions struct {
	maxQueued, retention string
}

// jobLimits are jobOptions checked.
type jobLimits struct {
	maxQueued int
	retention time.Duration
}

// parse checks the options before anything is opened.
func (o jobOptions) parse() (jobLimits, error) {
	var l jobLimits
	n, err := strconv.Atoi(o.maxQueued)
	if err != nil || n < 1 {
		return l, fmt.Errorf("--max-queued-jobs %q is invalid: use a positive number of asynchronous invocations each function may have waiting (default %d)", o.maxQueued, lambda.DefaultMaxQueued)
	}
	d, err := parseDays(o.retention)
	if err != nil {
		return l, fmt.Errorf("--invocation-retention %q is invalid: use a duration such as 168h or 7d (default %s)", o.retention, lambda.FormatDuration(lambda.DefaultJobRetention))
	}
	// A repeated idempotency key must find the invocation it names.
	if d < lambda.IdempotencyWindow {
		return l, fmt.Errorf("--invocation-retention %s is too short: keep invocations at least %s, the idempotency window, so that a repeated key still finds its invocation", o.retention, lambda.FormatDuration(lambda.IdempotencyWindow))
	}
	return jobLimits{maxQueued: n, retention: d}, nil
}

// parseDays is time.ParseDuration that also takes a whole number of days
// ("7d"), the unit retention is thought of in.
func parseDays(s string) (time.Duration, error) { return lambda.ParseDays(s) }
