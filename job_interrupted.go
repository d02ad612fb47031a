package lambda

import "time"

// InterruptedAttemptError is the Error of an attempt recorded by
// Job.Interrupted.
const InterruptedAttemptError = "the server stopped during this attempt (it crashed or was killed): whether the function finished is unknown, and the attempt counts as a try, so that a job that stops the server cannot run forever"

// Interrupted records on a job that the server stopped during its attempt
// begun at start (a crash, not a graceful close, which requeues the job
// itself without counting the try): the attempt consumes a try, as a
// function error would, and the job waits again, first in line (NextRunAt
// kept). The queue lets it run again while it has tries left, so a job that
// kills the server runs at most MaxRetries+1 times. Stores call it on the
// jobs they find running when the server starts (JobStore.RequeueRunning).
func (j *Job) Interrupted(start time.Time) {
	j.Attempts++
	j.Status = StatusQueued
	j.History = append(j.History, JobAttempt{Attempt: j.Attempts, Counted: true, Start: start,
		Status: StatusFailed, ErrorType: EUNAVAILABLE, Error: InterruptedAttemptError})
	if n := len(j.History) - MaxJobAttemptsKept; n > 0 {
		j.History = append([]JobAttempt(nil), j.History[n:]...)
	}
	j.ErrorType, j.ErrorMessage = EUNAVAILABLE, InterruptedAttemptError
}
