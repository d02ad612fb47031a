package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lambdahq/lambda"
)

var _ lambda.StatsStore = (*StatsStore)(nil)

// StatsStore implements lambda.StatsStore in the stats_minutes table.
type StatsStore struct {
	db *DB
}

// NewStatsStore returns a store on db, which must be opened before use.
func NewStatsStore(db *DB) *StatsStore {
	return &StatsStore{db: db}
}

// SaveStats implements lambda.StatsStore. A minute already stored (a
// restart within the minute, an invocation that ended late) is read and
// merged in Go: histograms do not add up in SQL.
func (s *StatsStore) SaveStats(ctx context.Context, minutes []*lambda.StatsMinute, pruneBefore time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		for _, m := range minutes {
			if err := saveMinute(ctx, tx, m); err != nil {
				return err
			}
		}
		if !pruneBefore.IsZero() {
			if _, err := tx.ExecContext(ctx, `DELETE FROM stats_minutes WHERE minute < ?`, formatTime(pruneBefore)); err != nil {
				return fmt.Errorf("sqlite: prune stats: %w", err)
			}
		}
		return nil
	})
}

func saveMinute(ctx context.Context, tx *sql.Tx, m *lambda.StatsMinute) error {
	at := formatTime(m.Minute)
	var (
		old  lambda.StatsMinute
		blob []byte
	)
	err := tx.QueryRowContext(ctx, `SELECT invocations, errors, throttles, cold_starts, latency FROM stats_minutes
		WHERE function = ? AND minute = ?`, m.Function, at).Scan(&old.Invocations, &old.Errors, &old.Throttles, &old.ColdStarts, &blob)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		old.StatsCounts, old.Latency = m.StatsCounts, m.Latency
	case err != nil:
		return fmt.Errorf("sqlite: read stats of %q at %s: %w", m.Function, at, err)
	default:
		if err := old.Latency.UnmarshalBinary(blob); err != nil {
			// A damaged row is replaced rather than blocking every later
			// flush of the function.
			old = lambda.StatsMinute{}
		}
		old.StatsCounts.Add(m.StatsCounts)
		old.Latency.Merge(&m.Latency)
	}
	latency, _ := old.Latency.MarshalBinary()
	// The function may have been deleted since its invocations: its
	// minutes are dropped rather than failing the whole flush.
	_, err = tx.ExecContext(ctx, `INSERT INTO stats_minutes (function, minute, invocations, errors, throttles, cold_starts, latency)
		SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM functions WHERE name = ?)
		ON CONFLICT (function, minute) DO UPDATE SET invocations = excluded.invocations, errors = excluded.errors,
			throttles = excluded.throttles, cold_starts = excluded.cold_starts, latency = excluded.latency`,
		m.Function, at, old.Invocations, old.Errors, old.Throttles, old.ColdStarts, latency, m.Function)
	if err != nil {
		return fmt.Errorf("sqlite: save stats of %q at %s: %w", m.Function, at, err)
	}
	return nil
}

// ListStats implements lambda.StatsStore.
func (s *StatsStore) ListStats(ctx context.Context, function string, from, to time.Time) ([]*lambda.StatsMinute, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	rows, err := read.QueryContext(ctx, `SELECT minute, invocations, errors, throttles, cold_starts, latency FROM stats_minutes
		WHERE function = ? AND minute >= ? AND minute < ? ORDER BY minute`, function, formatTime(from), formatTime(to))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list stats of %q: %w", function, err)
	}
	defer rows.Close()
	var out []*lambda.StatsMinute
	for rows.Next() {
		var (
			m    = &lambda.StatsMinute{Function: function}
			at   string
			blob []byte
		)
		if err := rows.Scan(&at, &m.Invocations, &m.Errors, &m.Throttles, &m.ColdStarts, &blob); err != nil {
			return nil, fmt.Errorf("sqlite: list stats of %q: %w", function, err)
		}
		if m.Minute, err = parseTime(at); err != nil {
			return nil, err
		}
		if err := m.Latency.UnmarshalBinary(blob); err != nil {
			return nil, fmt.Errorf("sqlite: stats of %q at %s: %w", function, at, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list stats of %q: %w", function, err)
	}
	return out, nil
}
