package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lambdahq/lambda"
)

var _ lambda.AuditStore = (*AuditStore)(nil)

// AuditStore implements lambda.AuditStore.
type AuditStore struct {
	db *DB
}

// NewAuditStore returns a store on db, which must be opened before use.
func NewAuditStore(db *DB) *AuditStore {
	return &AuditStore{db: db}
}

// maxAuditList bounds one listing; a caller pages with a later since.
const maxAuditList = 10000

// RecordAudit appends e, setting its Time when it is zero.
func (s *AuditStore) RecordAudit(ctx context.Context, e *lambda.AuditEntry) error {
	if e == nil || e.Action == "" {
		return lambda.Errorf(lambda.EINVALID, "audit entry has no action")
	}
	if e.Time.IsZero() {
		e.Time = s.db.now()
	}
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit (time, key_id, addr, action, function, target, target_name, result, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			formatTime(e.Time), e.KeyID, e.Addr, e.Action, e.Function, e.Target, e.TargetName, e.Result, e.Status)
		if err != nil {
			return fmt.Errorf("sqlite: record audit %q: %w", e.Action, err)
		}
		return nil
	})
}

// ListAudit returns the entries at or after since, oldest first, at most
// maxAuditList of them (the oldest ones).
func (s *AuditStore) ListAudit(ctx context.Context, since time.Time) ([]*lambda.AuditEntry, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	rows, err := read.QueryContext(ctx, `SELECT time, key_id, addr, action, function, target, target_name, result, status FROM audit
		WHERE time >= ? ORDER BY time, id LIMIT ?`, formatTime(since), maxAuditList)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list audit: %w", err)
	}
	defer rows.Close()
	var out []*lambda.AuditEntry
	for rows.Next() {
		var (
			e  lambda.AuditEntry
			at string
		)
		if err := rows.Scan(&at, &e.KeyID, &e.Addr, &e.Action, &e.Function, &e.Target, &e.TargetName, &e.Result, &e.Status); err != nil {
			return nil, fmt.Errorf("sqlite: list audit: %w", err)
		}
		if e.Time, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list audit: %w", err)
	}
	return out, nil
}
