package lambda

import (
	"net/url"
	"testing"
	"time"
)

func TestLinkAttemptLogs(t *testing.T) {
	start1, start2 := t0, t0.Add(time.Minute)
	j := &Job{ID: "job-1", Function: "greet", History: []JobAttempt{
		{Attempt: 1, Counted: true, Start: start1, Duration: Duration(time.Second), Version: 1},
		{Attempt: 1, Start: t0.Add(30 * time.Second), ErrorType: ETHROTTLED}, // ran nothing
		{Attempt: 2, Counted: true, Start: start2, Duration: Duration(time.Second), Version: 1},
	}}
	j.LinkAttemptLogs()
	want := []struct{ since, until string }{
		{start1.Format(time.RFC3339Nano), t0.Add(30 * time.Second).Format(time.RFC3339Nano)},
		{},
		{start2.Format(time.RFC3339Nano), start2.Add(time.Second + attemptLogSlack).Format(time.RFC3339Nano)},
	}
	for i, a := range j.History {
		if want[i].since == "" {
			if a.LogsPath != "" {
				t.Errorf("attempt %d, which ran nothing, links %s", i, a.LogsPath)
			}
			continue
		}
		u, err := url.Parse(a.LogsPath)
		if err != nil || u.Path != "/v1/functions/greet/logs" {
			t.Fatalf("attempt %d: %q", i, a.LogsPath)
		}
		q := u.Query()
		if q.Get("invocation") != "job-1" || q.Get("since") != want[i].since || q.Get("until") != want[i].until {
			t.Errorf("attempt %d: %v, want %+v", i, q, want[i])
		}
	}
	// Finished: the last attempt's lines run to the end of the log.
	fin := t0.Add(2 * time.Minute)
	j.FinishedAt = &fin
	j.LinkAttemptLogs()
	if u, _ := url.Parse(j.History[2].LogsPath); u.Query().Has("until") {
		t.Errorf("a finished job's last attempt is bounded: %s", j.History[2].LogsPath)
	}
}
