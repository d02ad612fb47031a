package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/cron"
	"github.com/lambdahq/lambda/manifest"
)

// checkManifestSchedules checks the schedules of m (may be nil) with the
// domain's rules, as the server will, so that a bad one is reported with
// its line before anything is packed. The server reads them from the
// uploaded lambda.yaml, checks them again before building and applies
// them, all or none, once the function is live; the CLI makes no schedule
// call of its own.
func checkManifestSchedules(name string, m *manifest.Manifest) error {
	if m == nil {
		return nil
	}
	rules := lambda.NewScheduleManager(nil, cron.Parser{})
	var specs []lambda.ScheduleSpec
	for _, ms := range m.Schedules {
		specs = append(specs, lambda.ScheduleSpec{Function: name, Cron: ms.Cron, Timezone: ms.Timezone, Data: ms.Data, Overlap: ms.Overlap})
		// The set up to this entry passed: an error is about this entry.
		if err := rules.Check(name, specs); err != nil {
			return lambda.Errorf(lambda.ErrorCode(err), "%s: line %d: %s", manifest.FileName, ms.Line, lambda.ErrorMessage(err))
		}
	}
	return nil
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
