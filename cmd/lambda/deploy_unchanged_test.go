package main

import (
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// TestWatchLineCanary: a watch's line for a canary deploy names the canary,
// not the active version that kept serving beside it.
func TestWatchLineCanary(t *testing.T) {
	split := []*lambda.Alias{{Name: lambda.AliasLive, Version: 1, AdditionalVersion: 2, Weight: 0.1}}
	result := func(changed bool, aliases []*lambda.Alias) *deployOutcome {
		return &deployOutcome{DeployResult: lambdahttp.DeployResult{
			FunctionDetail: lambdahttp.FunctionDetail{Name: "greet", Active: &lambda.Version{Number: 1}, Aliases: aliases},
			Changed:        changed,
		}}
	}
	tests := []struct {
		name   string
		d      *deployOutcome
		canary bool
		want   string
	}{
		{"canary published", result(true, split), true, "deployed greet version 2 as live's canary at 10% in 1s"},
		{"canary unchanged", result(false, split), true, "no changes: greet version 2 stays live's canary at 10% (1s)"},
		{"canary of the active's code", result(false, nil), true, "no changes: greet version 1 stays active (1s)"},
		{"plain deploy beside a canary", result(false, split), false, "no changes: greet version 1 stays active (1s)"},
	}
	for _, tt := range tests {
		if got := tt.d.line(time.Second, tt.canary); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
