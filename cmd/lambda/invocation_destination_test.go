package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestInvocationDestination: lambda invocation shows what became of the
// job's destination record (queued, cut, or not delivered and why), the
// hop of a record in a chain of destinations, and an attempt the queue
// ended without retrying as such, not as a throttle.
func TestInvocationDestination(t *testing.T) {
	start := fakeT0.Add(time.Minute)
	tests := []struct {
		name string
		job  lambda.Job
		want []string
		not  []string
	}{
		{"not delivered", lambda.Job{Destination: &lambda.DestinationDelivery{Setting: "on_failure", Function: "dstb", Condition: "RetriesExhausted",
			Error: `not delivered: function "dstb" not found`}},
			[]string{"Destination: on_failure dstb (RetriesExhausted): not delivered: function \"dstb\" not found\n"}, []string{"Destination hop"}},
		{"delivered and cut", lambda.Job{Depth: 3, Destination: &lambda.DestinationDelivery{Setting: "on_success", Function: "audit", Condition: "Success", ID: "inv-9", Truncated: true}},
			[]string{"Destination: on_success audit (Success): record queued as inv-9, its payloads cut to fit in 1 MB\n",
				"Destination hop: 3 (a record another invocation sent; chains of destinations stop after 16)\n"}, nil},
		{"permanent error", lambda.Job{History: []lambda.JobAttempt{{Start: start, Status: lambda.StatusFailed, ErrorType: lambda.ENOTFOUND, Error: "gone"}}},
			[]string{"Attempt 0: failed, 2026-12-05T10:01:00Z, 0s, not_found, not retried (the event cannot run: retrying would not help)\n"},
			[]string{"throttled or platform error", "Destination"}},
		{"throttle", lambda.Job{History: []lambda.JobAttempt{{Start: start, Status: lambda.StatusFailed, ErrorType: lambda.ETHROTTLED, Error: "busy"}}},
			[]string{"throttled, not counted (throttled or platform error: retried without using a retry)\n"}, []string{"not retried"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := newFakeAPI(t)
			j := tt.job
			j.ID, j.Function, j.Status, j.Trigger, j.CreatedAt = "inv-1", "greet", lambda.StatusDead, lambda.TriggerAsync, fakeT0
			api.jobs.add(j)
			stdout, stderr, code := runCLI(t, url, "", "invocation", "inv-1")
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			stdout = regexp.MustCompile(` {2,}`).ReplaceAllString(stdout, " ") // the table's padding
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(stdout, n) {
					t.Errorf("output has %q:\n%s", n, stdout)
				}
			}
		})
	}
}
