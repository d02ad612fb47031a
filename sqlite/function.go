package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/lambdahq/lambda"
)

var _ lambda.FunctionStore = (*FunctionStore)(nil)

// FunctionStore implements lambda.FunctionStore.
type FunctionStore struct {
	db *DB
}

// NewFunctionStore returns a store on db, which must be opened before use.
func NewFunctionStore(db *DB) *FunctionStore {
	return &FunctionStore{db: db}
}

func functionNotFound(name string) error {
	return lambda.Errorf(lambda.ENOTFOUND, "function %q not found", name)
}

func versionNotFound(name string, number int) error {
	return lambda.Errorf(lambda.ENOTFOUND, "version %d of function %q not found", number, name)
}

// NextVersion returns one more than the highest version of name, or 1.
func (s *FunctionStore) NextVersion(ctx context.Context, name string) (int, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return 0, err
	}
	var n int
	err = read.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE function = ?`, name).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: next version of %q: %w", name, err)
	}
	return n, nil
}

// PublishVersion records v and activates it. A zero v.CreatedAt is set to
// the current time.
func (s *FunctionStore) PublishVersion(ctx context.Context, v *lambda.Version) error {
	switch {
	case v == nil || v.Function == "":
		return lambda.Errorf(lambda.EINVALID, "version has no function name")
	case v.Number < 1:
		return lambda.Errorf(lambda.EINVALID, "version number %d is invalid: versions start at 1", v.Number)
	}
	config, err := json.Marshal(v.Config)
	if err != nil {
		return fmt.Errorf("sqlite: encode config: %w", err)
	}
	now := s.db.now()
	if v.CreatedAt.IsZero() {
		v.CreatedAt = now
	}
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO functions (name, active_version, created_at, updated_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			v.Function, v.Number, formatTime(now), formatTime(now))
		if err != nil {
			return fmt.Errorf("sqlite: create function %q: %w", v.Function, err)
		}
		_, err = tx.ExecContext(ctx, versionInsert, versionValues(v.Function, v, string(config))...)
		if isPrimaryKeyViolation(err) {
			return lambda.Errorf(lambda.ECONFLICT, "version %d of function %q already exists", v.Number, v.Function)
		}
		if err != nil {
			return fmt.Errorf("sqlite: insert version %d of %q: %w", v.Number, v.Function, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE functions SET active_version = ?, updated_at = ? WHERE name = ?`,
			v.Number, formatTime(now), v.Function)
		if err != nil {
			return fmt.Errorf("sqlite: activate version %d of %q: %w", v.Number, v.Function, err)
		}
		return nil
	})
}

// ActivateVersion makes an existing version the active one.
func (s *FunctionStore) ActivateVersion(ctx context.Context, name string, number int) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		var fn, ver int
		err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM functions WHERE name = ?1),
			(SELECT COUNT(*) FROM versions WHERE function = ?1 AND number = ?2)`, name, number).Scan(&fn, &ver)
		switch {
		case err != nil:
			return fmt.Errorf("sqlite: find version %d of %q: %w", number, name, err)
		case fn == 0:
			return functionNotFound(name)
		case ver == 0:
			return versionNotFound(name, number)
		}
		_, err = tx.ExecContext(ctx, `UPDATE functions SET active_version = ?, updated_at = ? WHERE name = ?`,
			number, formatTime(s.db.now()), name)
		if err != nil {
			return fmt.Errorf("sqlite: activate version %d of %q: %w", number, name, err)
		}
		return nil
	})
}

// SetScaling replaces the scaling settings of name.
func (s *FunctionStore) SetScaling(ctx context.Context, name string, sc lambda.Scaling) error {
	b, err := json.Marshal(sc)
	if err != nil {
		return fmt.Errorf("sqlite: encode scaling: %w", err)
	}
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE functions SET scaling = ?, updated_at = ? WHERE name = ?`,
			string(b), formatTime(s.db.now()), name)
		if err != nil {
			return fmt.Errorf("sqlite: set scaling of %q: %w", name, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return functionNotFound(name)
		}
		return nil
	})
}

// DeleteFunction deletes name; foreign keys cascade to its versions and
// schedules.
func (s *FunctionStore) DeleteFunction(ctx context.Context, name string) error {
	_, write, err := s.db.pools()
	if err != nil {
		return err
	}
	res, err := write.ExecContext(ctx, `DELETE FROM functions WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("sqlite: delete function %q: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: delete function %q: %w", name, err)
	} else if n == 0 {
		return functionNotFound(name)
	}
	// Its jobs went with it, those of the journal too.
	s.db.batcher.journal.dropFunction(name)
	return nil
}
