package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestCheckQualifier: the async queue's check answers as Acquire would
// route, for live, aliases and versions, and starts nothing.
func TestCheckQualifier(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.mustDeploy(t, "greet", lambda.Config{})
	if _, err := e.eng.Deploy(ctx, lambda.DeployRequest{Name: "greet", Code: strings.NewReader("code"), Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "stable", Version: 1}); err != nil {
		t.Fatal(err)
	}
	before, err := e.driver.ListInstances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ q, code, msg string }{
		{"", "", ""},
		{"$LATEST", "", ""},
		{"live", "", ""},
		{"stable", "", ""},
		{"1", "", ""},
		{"2", "", ""},
		{"stabel", lambda.ENOTFOUND, `did you mean "stable"`},
		{"7", lambda.ENOTFOUND, "no version 7"},
		{"0", lambda.EINVALID, "not a version number"},
		{"Bad", lambda.EINVALID, "qualifier"},
	} {
		err := e.eng.CheckQualifier(ctx, "greet", tt.q)
		if tt.code == "" && err != nil || tt.code != "" && (lambda.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.msg)) {
			t.Errorf("CheckQualifier(%q) = %v, want code %q with %q", tt.q, err, tt.code, tt.msg)
		}
	}
	if err := e.eng.CheckQualifier(ctx, "nope", "stable"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("CheckQualifier of a missing function = %v, want ENOTFOUND", err)
	}
	after, err := e.driver.ListInstances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("CheckQualifier started instances: %d before, %d after", len(before), len(after))
	}
}
