package main

import (
	"fmt"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// noChanges says what a deploy that published nothing left serving: the
// active version, or, for a canary deploy (canary set), live's canary with
// its weight as the deploy set it.
func noChanges(fn *lambdahttp.DeployResult, canary bool) string {
	if !canary {
		return fmt.Sprintf("No changes: version %d stays active (--force publishes a new version anyway)", fn.Active.Number)
	}
	if a := liveCanary(fn); a != nil {
		return fmt.Sprintf("No changes: version %d stays live's canary, with %s of its traffic (--force publishes a new version anyway)", a.AdditionalVersion, formatWeight(a.Weight))
	}
	return fmt.Sprintf("No changes: version %d, the active one, has this code and these settings: no canary published (--force publishes one anyway)", fn.Active.Number)
}

// liveCanary returns fn's live alias when it splits its traffic with a
// canary, else nil.
func liveCanary(fn *lambdahttp.DeployResult) *lambda.Alias {
	for _, a := range fn.Aliases {
		if a.Name == lambda.AliasLive && a.AdditionalVersion != 0 {
			return a
		}
	}
	return nil
}
