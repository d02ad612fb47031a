package async

import "context"

// prune deletes ended jobs older than Retention, at once and then every
// PruneInterval, until ctx ends.
func (q *Queue) prune(ctx context.Context) {
	defer q.loops.Done()
	for {
		now := q.Clock.Now()
		n, err := q.jobs.PruneJobs(ctx, now.Add(-q.Retention), now)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			q.Logger.Error("async: prune ended jobs", "err", err)
		case n > 0:
			q.Logger.Info("async: pruned ended jobs", "jobs", n, "older_than", q.Retention.String())
		}
		t := q.Clock.TimerAt(now.Add(q.PruneInterval))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}
