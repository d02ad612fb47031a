package main

import (
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestJobOptions(t *testing.T) {
	tests := []struct {
		name          string
		opts          jobOptions
		wantQueued    int
		wantRetention time.Duration
		wantErr       string
	}{
		{"defaults", jobOptions{"100000", "168h"}, lambda.DefaultMaxQueued, lambda.DefaultJobRetention, ""},
		{"days", jobOptions{"1", "30d"}, 1, 30 * 24 * time.Hour, ""},
		{"the idempotency window", jobOptions{"5000", "24h"}, 5000, 24 * time.Hour, ""},
		{"zero jobs", jobOptions{"0", "168h"}, 0, 0, "--max-queued-jobs \"0\" is invalid: use a positive number"},
		{"negative jobs", jobOptions{"-3", "168h"}, 0, 0, "--max-queued-jobs"},
		{"not a number", jobOptions{"lots", "168h"}, 0, 0, "--max-queued-jobs"},
		{"not a duration", jobOptions{"10", "a week"}, 0, 0, "--invocation-retention \"a week\" is invalid: use a duration such as 168h or 7d"},
		{"bad days", jobOptions{"10", "xd"}, 0, 0, "--invocation-retention \"xd\" is invalid"},
		{"shorter than the idempotency window", jobOptions{"10", "1h"}, 0, 0, "--invocation-retention 1h is too short: keep invocations at least 24h"},
		{"negative retention", jobOptions{"10", "-168h"}, 0, 0, "--invocation-retention -168h is too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opts.parse()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.maxQueued != tt.wantQueued || got.retention != tt.wantRetention {
				t.Errorf("got %d jobs, %s; want %d, %s", got.maxQueued, got.retention, tt.wantQueued, tt.wantRetention)
			}
		})
	}
}

// The flags default to the domain's defaults, from the environment when
// set, and their help names the variable.
func TestJobFlags(t *testing.T) {
	for _, tc := range []struct {
		env                       map[string]string
		wantQueued, wantRetention string
	}{
		{nil, "100000", "168h"},
		{map[string]string{"LAMBDA_MAX_QUEUED_JOBS": "50", "LAMBDA_INVOCATION_RETENTION": "48h"}, "50", "48h"},
	} {
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		cmd := newServerCommand(&streams{})
		for flag, want := range map[string]string{"max-queued-jobs": tc.wantQueued, "invocation-retention": tc.wantRetention} {
			f := cmd.Flags().Lookup(flag)
			if f == nil {
				t.Fatalf("no --%s flag", flag)
			}
			if f.DefValue != want {
				t.Errorf("--%s defaults to %q with env %v, want %q", flag, f.DefValue, tc.env, want)
			}
			env := "LAMBDA_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
			if !strings.Contains(f.Usage, env) {
				t.Errorf("--%s help %q does not name %s", flag, f.Usage, env)
			}
		}
	}
}
