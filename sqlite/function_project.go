package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lambdahq/lambda"
)

var _ lambda.ProjectStore = (*FunctionStore)(nil)

// PublishVersions records and activates every publication in one
// transaction: a project deploy is recorded whole or not at all.
func (s *FunctionStore) PublishVersions(ctx context.Context, ps []lambda.Publication) error {
	type row struct {
		p       lambda.Publication
		config  string
		scaling string
	}
	rows := make([]row, 0, len(ps))
	now := s.db.now()
	for _, p := range ps {
		v := p.Version
		switch {
		case p.Function == "" || (v != nil && v.Function != p.Function):
			return lambda.Errorf(lambda.EINVALID, "publication has no function name, or another than its version's")
		case v != nil && v.Number < 1:
			return lambda.Errorf(lambda.EINVALID, "version number %d is invalid: versions start at 1", v.Number)
		}
		r := row{p: p}
		if v != nil {
			config, err := json.Marshal(v.Config)
			if err != nil {
				return fmt.Errorf("sqlite: encode config: %w", err)
			}
			r.config = string(config)
			if v.CreatedAt.IsZero() {
				v.CreatedAt = now
			}
		}
		if p.Scaling != nil {
			b, err := json.Marshal(*p.Scaling)
			if err != nil {
				return fmt.Errorf("sqlite: encode scaling: %w", err)
			}
			r.scaling = string(b)
		}
		rows = append(rows, r)
	}
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		for _, r := range rows {
			if err := publishOne(ctx, tx, r.p, r.config, r.scaling, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// publishOne records p in tx: its version (if any) made active, its
// scaling and project (if set).
func publishOne(ctx context.Context, tx *sql.Tx, p lambda.Publication, config, scaling string, now time.Time) error {
	name := p.Function
	if v := p.Version; v != nil {
		_, err := tx.ExecContext(ctx, `INSERT INTO functions (name, active_version, created_at, updated_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			name, v.Number, formatTime(now), formatTime(now))
		if err != nil {
			return fmt.Errorf("sqlite: create function %q: %w", name, err)
		}
		_, err = tx.ExecContext(ctx, versionInsert, versionValues(name, v, config)...)
		if isPrimaryKeyViolation(err) {
			return lambda.Errorf(lambda.ECONFLICT, "version %d of function %q already exists", v.Number, name)
		}
		if err != nil {
			return fmt.Errorf("sqlite: insert version %d of %q: %w", v.Number, name, err)
		}
	}
	number := 0
	if p.Version != nil {
		number = p.Version.Number
	}
	res, err := tx.ExecContext(ctx, `UPDATE functions SET updated_at = ?1,
		active_version = CASE WHEN ?2 = 0 THEN active_version ELSE ?2 END,
		scaling = CASE WHEN ?3 = '' THEN scaling ELSE ?3 END,
		project = CASE WHEN ?4 = '' THEN project ELSE ?4 END
		WHERE name = ?5`,
		formatTime(now), number, scaling, p.Project, name)
	if err != nil {
		return fmt.Errorf("sqlite: publish %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return functionNotFound(name)
	}
	return nil
}
