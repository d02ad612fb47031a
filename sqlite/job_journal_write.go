package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lambdahq/lambda"
)

// The journal's writes (job_journal.go): a batch's creates, a claim's jobs
// and a batch's outcomes, each one row of job_journal.

const (
	appendJournalQuery = `INSERT INTO job_journal (kind, data) VALUES (?, ?) RETURNING seq`
	// reserveSeqsQuery takes ?1 numbers of jobs' AUTOINCREMENT and
	// returns the last; initSeqsQuery is for a database whose jobs never
	// had a row (sqlite_sequence has none for them).
	reserveSeqsQuery   = `UPDATE sqlite_sequence SET seq = seq + ?1 WHERE name = 'jobs' RETURNING seq`
	initSeqsQuery      = `INSERT INTO sqlite_sequence (name, seq) SELECT 'jobs', COALESCE(MAX(seq), 0) + ?1 FROM jobs RETURNING seq`
	functionFoundQuery = `SELECT 1 FROM functions WHERE name = ?`
)

// appendJournal writes one record of kind to the journal and returns its
// row.
func (s *JobStore) appendJournal(ctx context.Context, tx *sql.Tx, kind int, data []byte) (int64, error) {
	var row int64
	if err := s.db.queryRow(ctx, tx, appendJournalQuery, kind, data).Scan(&row); err != nil {
		return 0, fmt.Errorf("sqlite: append to the journal of invocations: %w", err)
	}
	s.journal().noteRow(row)
	return row, nil
}

// reserveSeqs takes n seqs of jobs and returns the first.
func (s *JobStore) reserveSeqs(ctx context.Context, tx *sql.Tx, n int) (int64, error) {
	var last int64
	err := s.db.queryRow(ctx, tx, reserveSeqsQuery, n).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.db.queryRow(ctx, tx, initSeqsQuery, n).Scan(&last)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: number invocations: %w", err)
	}
	return last - int64(n) + 1, nil
}

// journalCreates writes a batch's grouped creates to the journal: their
// seqs reserved, one row for all, the jobs into memory. An unknown
// function fails the whole (the journal has no foreign key), and the batch
// writes the creates one at a time into jobs, which says which.
func (s *JobStore) journalCreates(ctx context.Context, tx *sql.Tx, ws []*createWrite) error {
	found := map[string]bool{}
	for _, w := range ws {
		f := w.job.Function
		if found[f] {
			continue
		}
		var one int
		if err := s.db.queryRow(ctx, tx, functionFoundQuery, f).Scan(&one); err != nil {
			return fmt.Errorf("sqlite: find function %q: %w", f, err)
		}
		found[f] = true
	}
	if err := s.journalIDsFree(ctx, tx, ws); err != nil {
		return err
	}
	first, err := s.reserveSeqs(ctx, tx, len(ws))
	if err != nil {
		return err
	}
	enc := journalEncoder{b: make([]byte, 0, 512*len(ws))}
	enc.uint(uint64(len(ws)))
	jobs := make([]*journalJob, len(ws))
	for i, w := range ws {
		seq := first + int64(i)
		enc.uint(uint64(seq))
		enc.value(w.started)
		if err := enc.values(w.args); err != nil {
			return err
		}
		j := freshCopy(w.job)
		e := &journalJob{job: j, args: w.args, seq: seq, running: w.started, size: journalSize(w.args)}
		if w.started {
			t := j.CreatedAt
			j.StartedAt = &t
			e.claimedAt = formatTime(t)
		}
		jobs[i], w.journaled = e, e
	}
	row, err := s.appendJournal(ctx, tx, journalCreates, enc.b)
	if err != nil {
		return err
	}
	s.journal().add(jobs, row)
	return nil
}

// takenIDsQuery returns the IDs of the JSON array ?1 that jobs has.
const takenIDsQuery = `SELECT id FROM jobs WHERE id IN (SELECT value FROM json_each(?1))`

// journalIDsFree fails when an ID of ws is taken, in jobs, in the
// journal or twice in ws: the unique index that checks it for jobs does
// not cover the journal.
func (s *JobStore) journalIDsFree(ctx context.Context, tx *sql.Tx, ws []*createWrite) error {
	ids := make([]string, len(ws))
	seen := make(map[string]bool, len(ws))
	for i, w := range ws {
		id := w.job.ID
		if seen[id] || s.journal().has(id) {
			return fmt.Errorf("sqlite: invocation %q exists", id)
		}
		seen[id], ids[i] = true, id
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("sqlite: encode invocation IDs: %w", err)
	}
	var taken string
	err = s.db.queryRow(ctx, tx, takenIDsQuery, string(list)).Scan(&taken)
	switch {
	case err == nil:
		return fmt.Errorf("sqlite: invocation %q exists", taken)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: find invocations: %w", err)
	}
	return nil
}

// journalSize is what a job's row weighs in memory, roughly: its strings
// and bytes, and journalJobOverhead.
func journalSize(args []any) int {
	n := journalJobOverhead
	for _, v := range args {
		switch v := v.(type) {
		case string:
			n += len(v)
		case []byte:
			n += len(v)
		}
	}
	return n
}

// journalJobOverhead is what a job weighs in memory besides its strings
// and bytes (the job, its row's values, the maps' entries):
// TestJournalSizeCountsTheHeap measured 1.1 KB.
const journalJobOverhead = 1280

// createsBytes is what the jobs of ws would weigh in memory.
func createsBytes(ws []*createWrite) int {
	n := 0
	for _, w := range ws {
		n += journalSize(w.args)
	}
	return n
}

// claimJournal takes function's due jobs of the journal that come before
// the table's (claimed, each with its seq in seqs) in the claim's order,
// up to limit in all, and returns the jobs claimed and those of the table
// to give back (after the journal's, past limit). The claim is one
// journal record.
func (s *JobStore) claimJournal(ctx context.Context, tx *sql.Tx, mem []*journalJob, table []*lambda.Job, seqs map[string]int64, now time.Time, nowText string, limit int) (claimed []*lambda.Job, giveBack []*lambda.Job, err error) {
	type candidate struct {
		next time.Time
		seq  int64
		mem  *journalJob
		job  *lambda.Job
	}
	all := make([]candidate, 0, len(mem)+len(table))
	for _, e := range mem {
		all = append(all, candidate{next: e.job.NextRunAt, seq: e.seq, mem: e})
	}
	for _, j := range table {
		all = append(all, candidate{next: j.NextRunAt, seq: seqs[j.ID], job: j})
	}
	sortCandidates := func(a, b candidate) int {
		if c := a.next.Compare(b.next); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	}
	slices.SortFunc(all, sortCandidates)
	var (
		take []*journalJob
		at   []int // take's places in claimed
	)
	for i, c := range all {
		switch {
		case c.mem != nil && i < limit:
			take, at = append(take, c.mem), append(at, len(claimed))
			claimed = append(claimed, nil)
		case c.job != nil && i < limit:
			claimed = append(claimed, c.job)
		case c.job != nil:
			giveBack = append(giveBack, c.job)
		}
	}
	if len(take) == 0 {
		return claimed, giveBack, nil
	}
	enc := journalEncoder{b: make([]byte, 0, 64+40*len(take))}
	enc.text(nowText)
	enc.uint(uint64(len(take)))
	for _, e := range take {
		enc.text(e.job.ID)
	}
	if _, err := s.appendJournal(ctx, tx, journalClaims, enc.b); err != nil {
		return slices.DeleteFunc(claimed, func(j *lambda.Job) bool { return j == nil }), giveBack, err
	}
	for k, j := range s.journal().claim(take, now, nowText) {
		claimed[at[k]] = j
	}
	return claimed, giveBack, nil
}

// journalWrite is an UpdateJob of a job of the journal.
type journalWrite struct {
	id string
	st journalState // the new state; its args without the payload
	// old is the state it replaced, once applied.
	old     journalState
	applied bool
}

// journalOutcomeGroup returns the batch group of the journal's outcomes:
// a batch's are one record.
func (s *JobStore) journalOutcomeGroup() *batchGroup {
	return &batchGroup{
		run: func(ctx context.Context, tx *sql.Tx, args []any) ([]error, error) {
			writes := make([]*journalWrite, len(args))
			for i, a := range args {
				writes[i] = a.(*journalWrite)
			}
			return s.journalOutcomes(ctx, tx, writes)
		},
		single: func(ctx context.Context, tx *sql.Tx, arg any) error {
			errs, err := s.journalOutcomes(ctx, tx, []*journalWrite{arg.(*journalWrite)})
			if err != nil {
				return err
			}
			return errs[0]
		},
		// As outcomes of jobs: no client waits on their commit.
		linger: true,
	}
}

// journalOutcomes writes the outcomes of a batch as one record and sets
// the jobs' new states in memory. A job a flush took since UpdateJob saw
// it in memory has its row written instead. An error of the whole puts
// them back.
func (s *JobStore) journalOutcomes(ctx context.Context, tx *sql.Tx, writes []*journalWrite) ([]error, error) {
	errs := make([]error, len(writes))
	enc := journalEncoder{b: make([]byte, 0, 512*len(writes))}
	var (
		n    uint64
		recs journalEncoder
		undo = func() {
			for _, w := range writes {
				s.undoJournalWrite(w)
			}
		}
	)
	for i, w := range writes {
		if w.old, w.applied = s.journal().set(w.id, w.st); !w.applied {
			query := updateJobQuery
			if w.st.running {
				query = updateRunningJobQuery
			}
			errs[i] = s.writeJob(ctx, tx, query, w.id, w.st.args, false)
			continue
		}
		n++
		recs.text(w.id)
		recs.value(w.st.running)
		if err := recs.values(w.st.args); err != nil {
			undo()
			return nil, err
		}
	}
	if n == 0 {
		return errs, nil
	}
	enc.uint(n)
	enc.b = append(enc.b, recs.b...)
	if _, err := s.appendJournal(ctx, tx, journalOutcomes, enc.b); err != nil {
		undo()
		return nil, err
	}
	return errs, nil
}

// undoJournalWrite puts back the state w replaced, if it did.
func (s *JobStore) undoJournalWrite(w *journalWrite) {
	if w.applied {
		s.journal().restore(w.id, w.old)
		w.applied = false
	}
}

// updateJournalJob is UpdateJob for a job of the journal: j normalized.
// A job whose state says running stays claimed, as its row would stay
// waiting (updateRunningJobQuery).
func (s *JobStore) updateJournalJob(ctx context.Context, j *lambda.Job) error {
	c := j.Clone()
	c.Payload = nil
	running := c.Status == lambda.StatusRunning
	if running {
		// The status it stores is its row's, not running.
		stored, ok := s.journal().storedStatus(j.ID)
		if !ok {
			return jobNotFound(j.ID)
		}
		c.Status = stored
	}
	args, err := jobArgs(c)
	if err != nil {
		return err
	}
	w := &journalWrite{id: j.ID, st: journalState{job: c, args: args, running: running, at: s.db.now()}}
	if err := s.db.batchGrouped(ctx, s.journalOuts, w); err != nil {
		s.undoJournalWrite(w)
		return err
	}
	return nil
}
