package main

import (
	"context"
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
// so that a bad one stops the deploy before anything is built; the deploy
// request carries them for the server to check too.
func manifestSchedules(name string, m *manifest.Manifest) ([]lambdahttp.ScheduleRequest, error) {
	if m == nil {
		return nil, nil
	}
	var out []lambdahttp.ScheduleRequest
	var seen []*lambda.Schedule
	for i, ms := range m.Schedules {
		sch := &lambda.Schedule{ID: fmt.Sprintf("schedules[%d]", i), Function: name, Cron: ms.Cron, Timezone: ms.Timezone, Data: ms.Data}
		err := cron.Validate(ms.Cron, ms.Timezone)
		if err == nil {
			err = lambda.CheckNewSchedule(seen, sch)
		}
		if err != nil {
			return nil, lambda.Errorf(lambda.ErrorCode(err), "%s: line %d: schedules[%d]: %s", manifest.FileName, ms.Line, i, lambda.ErrorMessage(err))
		}
		seen = append(seen, sch)
		out = append(out, lambdahttp.ScheduleRequest{Function: name, Cron: ms.Cron, Timezone: ms.Timezone, Data: ms.Data, Overlap: ms.Overlap})
	}
	return out, nil
}

// createSchedules creates the manifest's schedules of function name that
// do not exist yet, so that deploying the same manifest again adds
// nothing. Schedules no longer in the manifest are left alone: they may
// have been added with "lambda schedule".
func createSchedules(ctx context.Context, w io.Writer, client *lambdahttp.Client, name string, want []manifest.Schedule) error {
	existing, err := client.ListSchedules(ctx, name)
	if err != nil {
		return fmt.Errorf("the function is live, but its schedules could not be listed to apply %s: %w", manifest.FileName, err)
	}
	for i, ms := range want {
		if s := findSchedule(existing, ms); s != nil {
			fmt.Fprintf(w, "Already scheduled with cron: %s  (id %s)\n", s.Cron, s.ID)
			continue
		}
		req := lambdahttp.ScheduleRequest{Function: name, Cron: ms.Cron, Timezone: ms.Timezone, Data: ms.Data, Overlap: ms.Overlap}
		s, err := client.CreateSchedule(ctx, req)
		if err != nil {
			return fmt.Errorf("the function is live, but schedules[%d] of %s (line %d, cron %q) was not created: %w", i, manifest.FileName, ms.Line, ms.Cron, err)
		}
		existing = append(existing, s)
		fmt.Fprintf(w, "Scheduled with cron: %s  (id %s, next run %s)\n", s.Cron, s.ID, timestamp(s.NextRunAt))
	}
	return nil
}

// findSchedule returns the schedule in list identical to ms: same cron,
// time zone, data and overlap, with the server's defaults for unset ones.
func findSchedule(list []*lambda.Schedule, ms manifest.Schedule) *lambda.Schedule {
	for _, s := range list {
		if s.Cron == ms.Cron && orDefault(s.Timezone, "UTC") == orDefault(ms.Timezone, "UTC") &&
			orDefault(s.Overlap, lambda.OverlapSkip) == orDefault(ms.Overlap, lambda.OverlapSkip) && sameJSON(s.Data, ms.Data) {
			return s
		}
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sameJSON compares two payloads by value, as the server does for
// duplicates; no data is the empty object each invocation then receives.
func sameJSON(a, b json.RawMessage) bool { return lambda.SameJSON(a, b) }
