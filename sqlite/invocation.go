package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/internal/jsonenc"
)

var _ lambda.InvocationHistory = (*InvocationStore)(nil)

// InvocationStore implements lambda.InvocationHistory. A save is one write
// of the DB's group commit, relaxed (a power failure may lose the newest
// records; they are history, not acknowledged work), and stores one row
// per function: the batch's records of it as a JSON array (a chunk).
// Listings read a function's chunks whole (at most Keep records and a
// chunk) and select in memory.
type InvocationStore struct {
	db *DB
	// Keep is how many records each function keeps (the newest);
	// NewInvocationStore sets lambda.MaxInvocationsKept.
	Keep int
}

// NewInvocationStore returns a store on db, which must be opened before use.
func NewInvocationStore(db *DB) *InvocationStore {
	return &InvocationStore{db: db, Keep: lambda.MaxInvocationsKept}
}

// chunkBits is how a record's Seq is made: its chunk's seq shifted left,
// plus its index in the chunk; a chunk holds at most 1<<chunkBits.
const chunkBits = 16

// insertChunk stores a chunk; its records come as the bytes of a reused
// buffer, cast to the TEXT they are (a string would be a copy of ~100 KB
// per batch on the Go heap, which the driver copies again).
const insertChunk = `INSERT INTO invocation_chunks (function, n, first_start, records) VALUES (?, ?, ?, CAST(?4 AS TEXT))`

// insertKeys names chunk ?1 as a holder of records under the keys of ?2,
// a JSON array (chunkKeys: a few for a batch of the platform's IDs).
const insertKeys = `INSERT OR IGNORE INTO invocation_keys (key, chunk) SELECT value, ?1 FROM json_each(?2)`

// pruneChunks deletes a function's chunks older than the newest ones
// that hold ?2 records together.
const pruneChunks = `DELETE FROM invocation_chunks WHERE function = ?1 AND seq < (
	SELECT seq FROM (SELECT seq, SUM(n) OVER (ORDER BY seq DESC) AS newer FROM invocation_chunks WHERE function = ?1)
	WHERE newer >= ?2 ORDER BY seq DESC LIMIT 1)`

func (s *InvocationStore) keep() int {
	if s.Keep <= 0 {
		return lambda.MaxInvocationsKept
	}
	return s.Keep
}

// saveBuffers are what a save reuses from the last: the chunk's encoding
// (~100 KB for a batch of 256) grew by doubling on every batch, garbage
// the GC then marked and swept on the same two cores as the requests.
type saveBuffers struct {
	buf        []byte
	keys       []string
	byFunction map[string][]*lambda.Invocation
	order      []string
}

var savePool = sync.Pool{New: func() any { return &saveBuffers{byFunction: map[string][]*lambda.Invocation{}} }}

// SaveInvocations stores recs, a chunk per function, in one transaction
// and deletes the chunks each function no longer needs.
func (s *InvocationStore) SaveInvocations(ctx context.Context, recs []*lambda.Invocation) error {
	if len(recs) == 0 {
		return nil
	}
	sb := savePool.Get().(*saveBuffers)
	defer savePool.Put(sb)
	err := s.db.batchRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		kept, err := s.recordable(ctx, tx, recs)
		if err != nil {
			return err
		}
		clear(sb.byFunction)
		sb.order = sb.order[:0]
		for _, r := range kept {
			if _, ok := sb.byFunction[r.Function]; !ok {
				sb.order = append(sb.order, r.Function)
			}
			sb.byFunction[r.Function] = append(sb.byFunction[r.Function], r)
		}
		defer clear(sb.byFunction) // no records kept alive by the pool
		for _, fn := range sb.order {
			for chunk := range slices.Chunk(sb.byFunction[fn], 1<<chunkBits) {
				sb.buf, err = appendInvocations(sb.buf[:0], chunk)
				if err != nil {
					return err
				}
				res, err := s.db.exec(ctx, tx, insertChunk, fn, len(chunk), formatTime(chunk[0].Start), sb.buf)
				if err != nil {
					return err
				}
				seq, err := res.LastInsertId()
				if err != nil {
					return err
				}
				sb.keys = chunkKeys(sb.keys, chunk)
				sb.buf = appendKeys(sb.buf[:0], sb.keys)
				if _, err := s.db.exec(ctx, tx, insertKeys, seq, string(sb.buf)); err != nil {
					return err
				}
			}
			if _, err := s.db.exec(ctx, tx, pruneChunks, fn, s.keep()); err != nil {
				return err
			}
		}
		return nil
	})
	clear(sb.keys)
	if err != nil {
		return fmt.Errorf("sqlite: save %d invocation records: %w", len(recs), err)
	}
	return nil
}

// recordable leaves out the records of functions that no longer exist
// (deleted while their records waited in the writer's queue).
func (s *InvocationStore) recordable(ctx context.Context, tx *sql.Tx, recs []*lambda.Invocation) ([]*lambda.Invocation, error) {
	exists := map[string]bool{}
	for _, r := range recs {
		if _, seen := exists[r.Function]; seen {
			continue
		}
		var one int
		err := s.db.queryRow(ctx, tx, `SELECT 1 FROM functions WHERE name = ?`, r.Function).Scan(&one)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		exists[r.Function] = err == nil
	}
	for _, ok := range exists {
		if !ok {
			return slices.DeleteFunc(slices.Clone(recs), func(r *lambda.Invocation) bool { return !exists[r.Function] }), nil
		}
	}
	return recs, nil
}

// jobIDs returns which of ids name jobs, in their rows or in the
// journal's memory (job_journal.go).
func (s *InvocationStore) jobIDs(ctx context.Context, read *sql.DB, ids []any) (map[string]bool, error) {
	jobs := map[string]bool{}
	for _, id := range ids {
		if id, ok := id.(string); ok && s.db.batcher.journal.has(id) {
			jobs[id] = true
		}
	}
	for part := range slices.Chunk(ids, 500) {
		rows, err := read.QueryContext(ctx, `SELECT id FROM jobs WHERE id IN (?`+strings.Repeat(", ?", len(part)-1)+`)`, part...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			jobs[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return jobs, nil
}

// ListInvocations returns the records f selects as jobs, newest first.
func (s *InvocationStore) ListInvocations(ctx context.Context, f lambda.JobFilter) ([]*lambda.Job, error) {
	if f.Status != "" && !validStatus(f.Status) {
		return nil, invalidStatus(f.Status)
	}
	list := []*lambda.Job{}
	if !lambda.SyncStatus(f.Status) {
		return list, nil
	}
	query, args := `SELECT seq, function, records FROM invocation_chunks ORDER BY function, seq`, []any(nil)
	if f.Function != "" {
		query, args = `SELECT seq, function, records FROM invocation_chunks WHERE function = ? ORDER BY seq`, []any{f.Function}
	}
	all, err := s.readChunks(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list invocation records: %w", err)
	}
	for _, j := range all {
		switch {
		case f.Status != "" && j.Status != f.Status,
			!f.Since.IsZero() && j.CreatedAt.Before(f.Since),
			!f.Before.IsZero() && !j.CreatedAt.Before(f.Before),
			f.After != nil && !f.After.Follows(j):
			continue
		}
		list = append(list, j)
	}
	slices.SortFunc(list, func(a, b *lambda.Job) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.Seq, a.Seq)
	})
	limit := f.Limit
	if limit <= 0 {
		limit = lambda.DefaultJobListLimit
	}
	limit = min(limit, lambda.MaxJobListLimit)
	// A call with an idempotency key is its job: its record, written
	// without a lookup per record, is left out here, page by page.
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	page := make([]*lambda.Job, 0, min(limit, len(list)))
	for len(list) > 0 && len(page) < limit {
		candidates := list[:min(len(list), limit-len(page))]
		list = list[len(candidates):]
		ids := make([]any, len(candidates))
		for i, j := range candidates {
			ids[i] = j.ID
		}
		jobs, err := s.jobIDs(ctx, read, ids)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list invocation records: %w", err)
		}
		for _, j := range candidates {
			if !jobs[j.ID] {
				page = append(page, j)
			}
		}
	}
	return page, nil
}

// readChunks reads chunks ordered by function and seq and returns their
// records as jobs, the newest Keep of each function only.
func (s *InvocationStore) readChunks(ctx context.Context, query string, args ...any) ([]*lambda.Job, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	rows, err := read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all, fn []*lambda.Job
	function := ""
	flush := func() {
		// The newest Keep; a record saved twice (never by the recorder,
		// which does not retry) counts once, as its newest copy.
		seen := make(map[string]bool, min(len(fn), s.keep()))
		for i := len(fn) - 1; i >= 0 && len(seen) < s.keep(); i-- {
			if !seen[fn[i].ID] {
				seen[fn[i].ID] = true
				all = append(all, fn[i])
			}
		}
		fn = nil
	}
	for rows.Next() {
		var (
			seq     int64
			name    string
			records string
		)
		if err := rows.Scan(&seq, &name, &records); err != nil {
			return nil, err
		}
		if name != function {
			flush()
			function = name
		}
		var recs []*lambda.Invocation
		if err := json.Unmarshal([]byte(records), &recs); err != nil {
			return nil, fmt.Errorf("chunk %d of %q: %w", seq, name, err)
		}
		for i, r := range recs {
			j := lambda.InvocationJob(r)
			j.Seq = seq<<chunkBits | int64(i)
			fn = append(fn, j)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	flush()
	return all, nil
}

// findInvocation reads the newest chunk under key ?1 (idKey) whose text
// holds ?2, `"id":` and the record's ID as a JSON string (inside a JSON
// string every quote is escaped, so only a record's "id" field matches),
// and how many records its function's later chunks hold (by the index on
// function, seq: at most Keep and a chunk are stored). A key names the
// chunks of 16 ms of the platform's IDs: one or two, read newest first
// until one holds the ID; a miss reads them all.
const findInvocation = `SELECT c.function, c.seq, c.records,
	(SELECT COALESCE(SUM(l.n), 0) FROM invocation_chunks AS l WHERE l.function = c.function AND l.seq > c.seq)
	FROM invocation_keys AS k JOIN invocation_chunks AS c ON c.seq = k.chunk
	WHERE k.key = ?1 AND instr(c.records, ?2) > 0
	ORDER BY k.chunk DESC LIMIT 1`

// FindInvocation returns the record with id as a job: invocation_keys
// names the chunks that may hold it (one B-tree search, found or not),
// and the record must be among its function's newest Keep.
func (s *InvocationStore) FindInvocation(ctx context.Context, id string) (*lambda.Job, error) {
	notFound := lambda.Errorf(lambda.ENOTFOUND, "invocation %q not found: the newest %d synchronous invocations of each function are kept", id, s.keep())
	if id == "" {
		return nil, notFound
	}
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	var (
		function string
		seq      int64
		records  string
		newer    int
	)
	pattern := string(jsonenc.AppendString([]byte(`"id":`), id))
	err = read.QueryRowContext(ctx, findInvocation, idKey(id), pattern).Scan(&function, &seq, &records, &newer)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find invocation record %q: %w", id, err)
	}
	var recs []*lambda.Invocation
	if err := json.Unmarshal([]byte(records), &recs); err != nil {
		return nil, fmt.Errorf("sqlite: find invocation record %q: chunk %d of %q: %w", id, seq, function, err)
	}
	// The chunk is oldest first; its newest copy of the record counts.
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].ID != id {
			continue
		}
		if newer+len(recs)-1-i >= s.keep() {
			return nil, notFound
		}
		j := lambda.InvocationJob(recs[i])
		j.Seq = seq<<chunkBits | int64(i)
		return j, nil
	}
	return nil, notFound
}
