package lambda

import (
	"net/url"
	"time"
)

// attemptLogSlack is how long after an attempt's end its lines may still
// be timestamped (Docker reads a line from the pipe after the answer went
// out), when the job's next attempt has not started: a retry after a
// function error waits at least MinRetryDelay.
const attemptLogSlack = MinRetryDelay

// LinkAttemptLogs sets each attempt's LogsPath. An attempt that ran
// nothing (throttled, or refused before an instance took it) has no lines.
// The attempts of a job share its ID, as on Lambda, so an attempt's lines
// are told apart by time: from its start to the next attempt's, or to a
// moment after its end while the job may run again.
func (j *Job) LinkAttemptLogs() {
	for i := range j.History {
		a := &j.History[i]
		if a.Version == 0 {
			continue
		}
		var until time.Time
		switch {
		case i+1 < len(j.History):
			until = j.History[i+1].Start
		case j.FinishedAt == nil:
			until = a.Start.Add(time.Duration(a.Duration) + attemptLogSlack)
		}
		a.LogsPath = AttemptLogsPath(j.Function, j.ID, a.Start, until)
	}
}

// AttemptLogsPath is the API path of the lines of invocation id printed
// from since until until (zero: no end).
func AttemptLogsPath(function, id string, since, until time.Time) string {
	v := url.Values{}
	v.Set("invocation", id)
	v.Set("since", since.UTC().Format(time.RFC3339Nano))
	if !until.IsZero() {
		v.Set("until", until.UTC().Format(time.RFC3339Nano))
	}
	return "/v1/functions/" + url.PathEscape(function) + "/logs?" + v.Encode()
}
