package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/lambdahq/lambda"
)

var _ lambda.ScheduleStore = (*ScheduleStore)(nil)

// ScheduleStore implements lambda.ScheduleStore.
type ScheduleStore struct {
	db *DB
}

// NewScheduleStore returns a store on db, which must be opened before use.
func NewScheduleStore(db *DB) *ScheduleStore {
	return &ScheduleStore{db: db}
}

const scheduleColumns = `id, function, cron, timezone, data, overlap, next_run_at, last_run_at, created_at`

func scheduleNotFound(id string) error {
	return lambda.Errorf(lambda.ENOTFOUND, "schedule %q not found", id)
}

// NewScheduleID returns a random ID like "sch_1f2e3d4c5b6a".
func NewScheduleID() string {
	var b [6]byte
	rand.Read(b[:]) // never fails since Go 1.24
	return "sch_" + hex.EncodeToString(b[:])
}

// CreateSchedule stores sc, setting its ID and CreatedAt when they are
// empty. ENOTFOUND if its function does not exist, ECONFLICT if the ID is
// taken.
func (s *ScheduleStore) CreateSchedule(ctx context.Context, sc *lambda.Schedule) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error { return s.insertSchedule(ctx, tx, sc) })
}

// insertSchedule inserts sc in tx after checking its function exists.
func (s *ScheduleStore) insertSchedule(ctx context.Context, tx *sql.Tx, sc *lambda.Schedule) error {
	if sc == nil || sc.Function == "" {
		return lambda.Errorf(lambda.EINVALID, "schedule has no function name")
	}
	if sc.ID == "" {
		sc.ID = NewScheduleID()
	}
	if sc.CreatedAt.IsZero() {
		sc.CreatedAt = s.db.now()
	}
	sc.Timezone = lambda.NormalizeTimezone(sc.Timezone)
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM functions WHERE name = ?`, sc.Function).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: find function %q: %w", sc.Function, err)
	}
	if n == 0 {
		return functionNotFound(sc.Function)
	}
	var data []byte
	if sc.Data != nil {
		data = []byte(sc.Data)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO schedules (`+scheduleColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sc.ID, sc.Function, sc.Cron, sc.Timezone, data, sc.Overlap,
		formatTime(sc.NextRunAt), formatNullTime(sc.LastRunAt), formatTime(sc.CreatedAt))
	switch {
	case isPrimaryKeyViolation(err):
		return lambda.Errorf(lambda.ECONFLICT, "schedule %q already exists", sc.ID)
	case isForeignKeyViolation(err):
		return functionNotFound(sc.Function)
	case err != nil:
		return fmt.Errorf("sqlite: insert schedule %q: %w", sc.ID, err)
	}
	return nil
}

var _ lambda.ScheduleBatchStore = (*ScheduleStore)(nil)

// CreateSchedules stores every schedule of list in one transaction, as
// CreateSchedule each: all of them, or none.
func (s *ScheduleStore) CreateSchedules(ctx context.Context, list []*lambda.Schedule) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		for _, sc := range list {
			if err := s.insertSchedule(ctx, tx, sc); err != nil {
				return err
			}
		}
		return nil
	})
}

func scanSchedule(row scanner) (*lambda.Schedule, error) {
	var (
		sc            lambda.Schedule
		data          []byte
		next, created string
		last          sql.NullString
	)
	err := row.Scan(&sc.ID, &sc.Function, &sc.Cron, &sc.Timezone, &data, &sc.Overlap, &next, &last, &created)
	if err != nil {
		return nil, err
	}
	if data != nil {
		sc.Data = data
	}
	// Rows of older versions kept "" for UTC: read the zone by its name.
	sc.Timezone = lambda.NormalizeTimezone(sc.Timezone)
	if sc.NextRunAt, err = parseTime(next); err != nil {
		return nil, err
	}
	if sc.LastRunAt, err = parseNullTime(last); err != nil {
		return nil, err
	}
	if sc.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	return &sc, nil
}

// FindSchedule returns the schedule with id.
func (s *ScheduleStore) FindSchedule(ctx context.Context, id string) (*lambda.Schedule, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	sc, err := scanSchedule(read.QueryRowContext(ctx, `SELECT `+scheduleColumns+` FROM schedules WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, scheduleNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find schedule %q: %w", id, err)
	}
	return sc, nil
}

// ListSchedules returns the schedules of function (all when ""), oldest
// first. An unknown function has no schedules, so the list is empty.
func (s *ScheduleStore) ListSchedules(ctx context.Context, function string) ([]*lambda.Schedule, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	rows, err := read.QueryContext(ctx, `SELECT `+scheduleColumns+` FROM schedules
		WHERE ?1 = '' OR function = ?1 ORDER BY created_at, id`, function)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list schedules: %w", err)
	}
	defer rows.Close()
	list := []*lambda.Schedule{}
	for rows.Next() {
		sc, err := scanSchedule(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list schedules: %w", err)
		}
		list = append(list, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list schedules: %w", err)
	}
	return list, nil
}

// DeleteSchedule deletes the schedule with id.
func (s *ScheduleStore) DeleteSchedule(ctx context.Context, id string) error {
	return s.exec(ctx, id, `DELETE FROM schedules WHERE id = ?`, id)
}

// MarkScheduleRun records a run; ENOTFOUND if the schedule was deleted
// meanwhile.
func (s *ScheduleStore) MarkScheduleRun(ctx context.Context, id string, ranAt, next time.Time) error {
	return s.exec(ctx, id, `UPDATE schedules SET last_run_at = ?, next_run_at = ? WHERE id = ?`,
		formatTime(ranAt), formatTime(next), id)
}

// exec runs a write on schedule id that must touch exactly its row.
func (s *ScheduleStore) exec(ctx context.Context, id, query string, args ...any) error {
	_, write, err := s.db.pools()
	if err != nil {
		return err
	}
	res, err := write.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlite: schedule %q: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: schedule %q: %w", id, err)
	}
	if n == 0 {
		return scheduleNotFound(id)
	}
	return nil
}
