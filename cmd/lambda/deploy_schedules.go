package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/cron"
	lambdahttp "github.com/lambdahq/lambda/http"
	"github.com/lambdahq/lambda/manifest"
)

// manifestSchedules checks the schedules of m (may be nil) as the server
// will, each cron expression and time zone, their number and duplicates,
// so that a bad one is reported with its line before anything is packed.
// The deploy request carries them: the server checks them again before
// building and applies them, all or none, once the function is live; the
// CLI makes no schedule call of its own.
func manifestSchedules(name string, m *manifest.Manifest) ([]lambdahttp.ScheduleRequest, error) {
	if m == nil {
		return nil, nil
	}
	// The domain's rules, as the server applies them; the time of the
	// first run is not kept.
	rules := lambda.NewScheduleManager(nil, cron.Parser{})
	var out []lambdahttp.ScheduleRequest
	var specs []lambda.ScheduleSpec
	for _, ms := range m.Schedules {
		specs = append(specs, lambda.ScheduleSpec{Function: name, Cron: ms.Cron, Timezone: ms.Timezone, Data: ms.Data, Overlap: ms.Overlap})
		// The set up to i passed: an error is about entry i.
		if err := rules.Check(name, specs); err != nil {
			return nil, lambda.Errorf(lambda.ErrorCode(err), "%s: line %d: %s", manifest.FileName, ms.Line, lambda.ErrorMessage(err))
		}
		out = append(out, lambdahttp.ScheduleRequest{Function: name, Cron: ms.Cron, Timezone: ms.Timezone, Data: ms.Data, Overlap: ms.Overlap})
	}
	return out, nil
}

// printSchedules shows the schedules the server applied with the deploy.
func printSchedules(w io.Writer, applied []lambda.AppliedSchedule) {
	for _, a := range applied {
		if a.Schedule == nil {
			continue
		}
		if a.Existed {
			fmt.Fprintf(w, "Already scheduled with cron: %s  (id %s)\n", a.Cron, a.ID)
			continue
		}
		fmt.Fprintf(w, "Scheduled with cron: %s  (id %s, next run %s)\n", a.Cron, a.ID, timestamp(a.NextRunAt))
	}
}

// sameJSON compares two payloads by value, as the server does for
// duplicates; no data is the empty object each invocation then receives.
func sameJSON(a, b json.RawMessage) bool { return lambda.SameJSON(a, b) }
