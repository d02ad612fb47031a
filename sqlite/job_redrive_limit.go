package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lambdahq/lambda"
)

// redriveFits refuses a redrive that would take function past maxQueued
// waiting jobs, as a create past it is refused: a redrive of every dead
// job bypassed --max-queued-jobs, and the jobs it queued then held the
// function over its limit, refusing new events for as long. ids are the
// jobs to redrive, or every dead one when empty; those that are not dead
// are refused after this by redriveJobs.
func (s *JobStore) redriveFits(ctx context.Context, tx *sql.Tx, function string, ids []string, maxQueued int) error {
	if maxQueued <= 0 {
		maxQueued = lambda.DefaultMaxQueued
	}
	adding := len(ids)
	if adding == 0 {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM job_counts WHERE function = ? AND status = 'dead'`, function).Scan(&adding); err != nil {
			return fmt.Errorf("sqlite: count dead invocations of %q: %w", function, err)
		}
	}
	var waiting int
	if err := tx.QueryRowContext(ctx, queuedQuery, function).Scan(&waiting); err != nil {
		return fmt.Errorf("sqlite: count queued invocations of %q: %w", function, err)
	}
	waiting += s.journal().waitingCount(function) - s.running().inflight(function)
	if adding > 0 && waiting+adding > maxQueued {
		return redriveFullError(function, adding, waiting, maxQueued)
	}
	return nil
}

// redriveFullError is the throttle of a redrive over the queue's limit.
func redriveFullError(function string, adding, waiting, maxQueued int) error {
	return lambda.Throttled(lambda.ThrottleAsyncQueueFull, fmt.Sprintf(
		"redriving %d invocations would leave function %q with %d queued, over its limit of %d (%d queued now): redrive fewer by ID, wait for the queue to drain, or raise --max-queued-jobs",
		adding, function, waiting+adding, maxQueued, max(waiting, 0)))
}
