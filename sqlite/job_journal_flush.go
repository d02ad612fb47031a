package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"
)

// Flushing the journal (job_journal.go): its ended jobs are written into
// jobs, each once as it ended, and the journal rows no job in memory needs
// any more are deleted, in one transaction (of at most maxFlushJobs). The
// flush runs when the writer has nothing else to do, or when the ended
// jobs are old (journalLag) or the memory half full, so that under a burst
// the rows are written after it, in large transactions, instead of one at
// a time on the jobs' path.
// Without an fsync of its own: a flush lost to a power failure leaves its
// jobs in the journal, which the next Open writes again.

const (
	// journalTick is how often the flusher looks.
	journalTick = 10 * time.Millisecond
	// journalLag bounds how long an ended job waits for its row.
	journalLag = time.Second
	// journalQuiet is how long the writer must have had nothing to do
	// for a flush to go ahead of the bounds: a moment between two
	// batches of a burst is not a pause.
	journalQuiet = 20 * time.Millisecond
	// maxFlushJobs bounds a flush's transaction (not Close's): the writes
	// submitted meanwhile wait for it, some 25 µs a job. The flusher
	// flushes again, after them, while a flush was full.
	maxFlushJobs = 1024
)

// flushQueries[n] inserts n jobs with their seqs: seq, jobColumns, then
// claimed_at, a row each.
var flushQueries = func() []string {
	row := "(?, " + jobPlaceholders + ", ?)"
	q := make([]string, maxCreateRows+1)
	for n := 1; n <= maxCreateRows; n++ {
		q[n] = `INSERT INTO jobs (seq, ` + jobColumns + `, claimed_at) VALUES ` +
			strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
	}
	return q
}()

// flushJournal writes the journal's ended jobs into jobs (all its jobs
// when all is set, those running claimed) and returns how many it wrote.
func (db *DB) flushJournal(ctx context.Context, all bool) (int, error) {
	m := &db.batcher.journal
	if !m.flushable(all) {
		return 0, nil
	}
	var (
		ran     bool
		flushed []*journalJob
	)
	err := db.batchRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		ran = true
		m.flushing.Add(1) // the jobs may be in both until they leave the memory
		var err error
		flushed, err = db.writeJournalJobs(ctx, tx, all)
		return err
	})
	if !ran {
		return 0, err
	}
	m.flushEnded(flushed, err == nil)
	m.gen.Add(1)
	m.flushing.Add(-1)
	return len(flushed), err
}

// flushable reports whether a flush would write a job.
func (m *journalJobs) flushable(all bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.byID {
		if !e.flushed && (all || e.ended()) {
			return true
		}
	}
	return false
}

// flushEnded takes the jobs of a flush out of the memory once it
// committed, or marks them to flush again.
func (m *journalJobs) flushEnded(jobs []*journalJob, committed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range jobs {
		if !committed {
			e.flushed = false
		} else if m.byID[e.job.ID] == e {
			m.drop(e)
		}
	}
	if committed && m.ended > 0 {
		// Those left ended while the flush ran (those past
		// maxFlushJobs the flusher takes at once): the lag runs from
		// about now, or every tick would flush a handful under load.
		m.endedSince = time.Now()
	}
}

// writeJournalJobs writes the jobs to flush in tx, in the writer, and
// deletes the journal rows before the oldest create of the jobs that stay.
func (db *DB) writeJournalJobs(ctx context.Context, tx *sql.Tx, all bool) ([]*journalJob, error) {
	m := &db.batcher.journal
	m.mu.Lock()
	var jobs []*journalJob
	keep := int64(math.MaxInt64) // the oldest row a job staying needs
	for _, e := range m.byID {
		switch {
		case e.flushed:
		case all || e.ended():
			jobs = append(jobs, e)
		default:
			keep = min(keep, e.row)
		}
	}
	slices.SortFunc(jobs, func(a, b *journalJob) int { return cmp.Compare(a.seq, b.seq) })
	if !all && len(jobs) > maxFlushJobs {
		for _, e := range jobs[maxFlushJobs:] {
			keep = min(keep, e.row)
		}
		jobs = jobs[:maxFlushJobs]
	}
	for _, e := range jobs {
		e.flushed = true
	}
	last := m.lastRow
	m.mu.Unlock()
	rows := make([][]any, len(jobs))
	for i, e := range jobs {
		var claimed any
		if e.running {
			claimed = e.claimedAt
		}
		rows[i] = append(append(make([]any, 0, jobColumnCount+2), e.seq), append(e.args, claimed)...)
	}
	if err := db.insertJournalRows(ctx, tx, rows); err != nil {
		return jobs, err
	}
	var err error
	if keep == math.MaxInt64 {
		_, err = db.exec(ctx, tx, `DELETE FROM job_journal WHERE seq <= ?`, last)
	} else {
		_, err = db.exec(ctx, tx, `DELETE FROM job_journal WHERE seq < ?`, keep)
	}
	if err != nil {
		return jobs, fmt.Errorf("sqlite: trim the journal of invocations: %w", err)
	}
	return jobs, nil
}

// insertJournalRows inserts rows (seq, jobColumns, claimed_at) into jobs,
// maxCreateRows a statement. A statement that fails is written row by
// row: a row whose function was deleted (its foreign key) or that is in
// jobs already (a flush of a journal another DB on the file recovered) is
// left out, as the cascade or that write would have left it.
func (db *DB) insertJournalRows(ctx context.Context, tx *sql.Tx, rows [][]any) error {
	for rest := rows; len(rest) > 0; {
		chunk := rest[:groupChunk(len(rest), maxCreateRows)]
		rest = rest[len(chunk):]
		values := make([]any, 0, len(chunk)*(jobColumnCount+2))
		for _, r := range chunk {
			values = append(values, r...)
		}
		if _, err := db.exec(ctx, tx, `SAVEPOINT flush`); err != nil {
			return fmt.Errorf("sqlite: savepoint: %w", err)
		}
		_, err := db.exec(ctx, tx, flushQueries[len(chunk)], values...)
		if err == nil {
			if _, err := db.exec(ctx, tx, `RELEASE flush`); err != nil {
				return fmt.Errorf("sqlite: release savepoint: %w", err)
			}
			continue
		}
		if _, err := db.exec(ctx, tx, `ROLLBACK TO flush`); err != nil {
			return fmt.Errorf("sqlite: roll back a flush of the journal: %w", err)
		}
		if _, err := db.exec(ctx, tx, `RELEASE flush`); err != nil {
			return fmt.Errorf("sqlite: release savepoint: %w", err)
		}
		for _, r := range chunk {
			if err := db.insertJournalRow(ctx, tx, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// insertJournalRow inserts one row, left out if its function is gone or
// its job is in jobs already.
func (db *DB) insertJournalRow(ctx context.Context, tx *sql.Tx, r []any) error {
	_, err := db.exec(ctx, tx, flushQueries[1], r...)
	switch {
	case err == nil, isForeignKeyViolation(err), isPrimaryKeyViolation(err):
		return nil
	}
	return fmt.Errorf("sqlite: write invocation %v from the journal: %w", r[1], err)
}

// recoverJournal writes every job of the journal into jobs, as its
// records left it, and empties it: the memory of the process that wrote
// it is gone. A job claimed when it stopped is claimed in its row, for
// RequeueRunning to count the attempt. It runs at Open, before anything
// reads or writes jobs.
func (db *DB) recoverJournal(ctx context.Context, write *sql.DB, logger *slog.Logger) error {
	tx, err := write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	jobs, err := readJournal(ctx, tx)
	if err != nil {
		return err
	}
	if len(jobs) == 0 {
		return nil
	}
	rows := make([][]any, len(jobs))
	for i, r := range jobs {
		rows[i] = append(append(make([]any, 0, jobColumnCount+2), r.seq), append(r.args, r.claimed)...)
	}
	if err := db.insertJournalRows(ctx, tx, rows); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM job_journal`); err != nil {
		return fmt.Errorf("sqlite: empty the journal of invocations: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	logger.Info("invocations written from the journal", "jobs", len(jobs))
	return nil
}

// recoveredJob is a job as the journal's records left it.
type recoveredJob struct {
	seq     int64
	args    []any
	claimed any // the time of its claim while it ran, or nil
}

// readJournal replays the journal's records, in order.
func readJournal(ctx context.Context, tx *sql.Tx) ([]*recoveredJob, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, kind, data FROM job_journal ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read the journal of invocations: %w", err)
	}
	defer rows.Close()
	byID := map[string]*recoveredJob{}
	var order []*recoveredJob
	for rows.Next() {
		var (
			row, kind int64
			data      []byte
		)
		if err := rows.Scan(&row, &kind, &data); err != nil {
			return nil, fmt.Errorf("sqlite: read the journal of invocations: %w", err)
		}
		d := journalDecoder{b: data}
		switch kind {
		case journalCreates:
			for n := d.uint(); n > 0 && d.err == nil; n-- {
				r := &recoveredJob{seq: int64(d.uint())}
				started := d.value() == true
				r.args = d.values()
				if d.err != nil {
					break
				}
				if started {
					r.claimed = r.args[jobColumn("created_at")]
				}
				id, _ := r.args[0].(string)
				byID[id] = r
				order = append(order, r)
			}
		case journalClaims:
			at := d.text()
			for n := d.uint(); n > 0 && d.err == nil; n-- {
				if r := byID[d.text()]; r != nil && d.err == nil {
					r.claimed = at
					if r.args[argStartedAt] == nil {
						r.args[argStartedAt] = at
					}
				}
			}
		case journalOutcomes:
			for n := d.uint(); n > 0 && d.err == nil; n-- {
				id := d.text()
				running := d.value() == true
				args := d.values()
				r := byID[id]
				if d.err != nil || r == nil {
					continue
				}
				args[argPayload] = r.args[argPayload]
				r.args = args
				if !running {
					r.claimed = nil
				}
			}
		default:
			d.err = fmt.Errorf("sqlite: journal: a record of kind %d", kind)
		}
		if d.err != nil {
			return nil, fmt.Errorf("sqlite: journal row %d: %w", row, d.err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read the journal of invocations: %w", err)
	}
	return order, nil
}

// runJournal flushes the journal when it is due, until ctx ends.
func (db *DB) runJournal(ctx context.Context, logger *slog.Logger) {
	t := time.NewTicker(journalTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for due := db.journalDue(); due && ctx.Err() == nil; {
			n, err := db.flushJournal(ctx, false)
			if err != nil && ctx.Err() == nil {
				logger.Warn("writing ended invocations from the journal", "err", err)
			}
			due = err == nil && n == maxFlushJobs
		}
	}
}

// journalDue reports whether the journal's ended jobs are to be flushed
// now: the writer is quiet, or they are old, or the memory is half full.
func (db *DB) journalDue() bool {
	m := &db.batcher.journal
	m.mu.Lock()
	ended, since, n, bytes := m.ended, m.endedSince, len(m.byID), m.bytes
	m.mu.Unlock()
	switch {
	case ended == 0:
		return false
	case n >= maxJournalJobs/2, bytes >= maxJournalBytes/2, time.Since(since) >= journalLag:
		return true
	}
	return db.batcher.quiet()
}

// quiet reports whether no batch ran or waited for journalQuiet.
func (b *batcher) quiet() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.leading && len(b.pending) == 0 && time.Since(b.lastEnd) >= journalQuiet
}
