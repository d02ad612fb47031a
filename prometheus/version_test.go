package prometheus

import (
	"testing"

	"github.com/lambdahq/lambda"
)

// TestVersionInvocations: invocations served by two versions of a split
// are counted by version; one no instance served is not.
func TestVersionInvocations(t *testing.T) {
	fns := &functions{names: []string{"greet"}}
	m := newMetrics(Sources{Functions: fns})
	for i := range 10 {
		v := 1
		if i%5 == 0 {
			v = 2
		}
		m.ObserveInvocation(&lambda.Invocation{Function: "greet", Version: v, Trigger: lambda.TriggerHTTP, Status: lambda.StatusSucceeded})
	}
	m.ObserveInvocation(&lambda.Invocation{Function: "greet", Trigger: lambda.TriggerHTTP, Status: lambda.StatusFailed, ErrorType: lambda.ETHROTTLED})
	mfs := scrape(t, m)
	for v, want := range map[string]float64{"1": 8, "2": 2, "0": 0} {
		if got := counter(mfs, "lambda_version_invocations_total", map[string]string{"function": "greet", "version": v}); got != want {
			t.Errorf("version %s: %v invocations, want %v", v, got, want)
		}
	}
	fns.set()
	if got := hasFunction(scrape(t, m), "greet"); len(got) != 0 {
		t.Errorf("after the delete, greet still has series in %v", got)
	}
}
