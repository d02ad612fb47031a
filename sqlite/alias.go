package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lambdahq/lambda"
)

var _ lambda.AliasStore = (*FunctionStore)(nil)

func aliasNotFound(function, name string) error {
	return lambda.Errorf(lambda.ENOTFOUND, "function %q has no alias %q", function, name)
}

// AddVersion records v without activating it. A zero v.CreatedAt is set
// to the current time.
func (s *FunctionStore) AddVersion(ctx context.Context, v *lambda.Version) error {
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
	if v.CreatedAt.IsZero() {
		v.CreatedAt = s.db.now()
	}
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if err := functionExists(ctx, tx, v.Function); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, versionInsert, versionValues(v.Function, v, string(config))...)
		if isPrimaryKeyViolation(err) {
			return lambda.Errorf(lambda.ECONFLICT, "version %d of function %q already exists", v.Number, v.Function)
		}
		if err != nil {
			return fmt.Errorf("sqlite: insert version %d of %q: %w", v.Number, v.Function, err)
		}
		return nil
	})
}

func functionExists(ctx context.Context, tx *sql.Tx, name string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM functions WHERE name = ?`, name).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: find function %q: %w", name, err)
	}
	if n == 0 {
		return functionNotFound(name)
	}
	return nil
}

// SetAlias creates or replaces a. Setting live moves the active version
// first (the trigger then points live at it with no split), then writes
// the row with a's split.
func (s *FunctionStore) SetAlias(ctx context.Context, a *lambda.Alias) error {
	if err := a.Validate(); err != nil {
		return err
	}
	now := s.db.now()
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if err := functionExists(ctx, tx, a.Function); err != nil {
			return err
		}
		for _, n := range a.Versions() {
			var ok int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM versions WHERE function = ? AND number = ?`, a.Function, n).Scan(&ok); err != nil {
				return fmt.Errorf("sqlite: find version %d of %q: %w", n, a.Function, err)
			}
			if ok == 0 {
				return versionNotFound(a.Function, n)
			}
		}
		if a.Name == lambda.AliasLive {
			_, err := tx.ExecContext(ctx, `UPDATE functions SET active_version = ?, updated_at = ? WHERE name = ?`,
				a.Version, formatTime(now), a.Function)
			if err != nil {
				return fmt.Errorf("sqlite: activate version %d of %q: %w", a.Version, a.Function, err)
			}
		}
		var additional sql.NullInt64
		if a.AdditionalVersion != 0 {
			additional = sql.NullInt64{Int64: int64(a.AdditionalVersion), Valid: true}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO aliases (function, name, version, additional_version, weight, description, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (function, name) DO UPDATE SET version = excluded.version, additional_version = excluded.additional_version,
				weight = excluded.weight, description = excluded.description, updated_at = excluded.updated_at`,
			a.Function, a.Name, a.Version, additional, a.Weight, a.Description, formatTime(now), formatTime(now))
		if err != nil {
			return fmt.Errorf("sqlite: set alias %q of %q: %w", a.Name, a.Function, err)
		}
		return nil
	})
}

const aliasColumns = `function, name, version, additional_version, weight, description, created_at, updated_at`

func scanAlias(row scanner) (*lambda.Alias, error) {
	var (
		a                lambda.Alias
		additional       sql.NullInt64
		created, updated string
	)
	if err := row.Scan(&a.Function, &a.Name, &a.Version, &additional, &a.Weight, &a.Description, &created, &updated); err != nil {
		return nil, err
	}
	a.AdditionalVersion = int(additional.Int64)
	var err error
	if a.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if a.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	return &a, nil
}

// FindAlias returns one alias; the not-found message tells a missing
// function from a missing alias.
func (s *FunctionStore) FindAlias(ctx context.Context, function, name string) (*lambda.Alias, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	a, err := scanAlias(read.QueryRowContext(ctx, `SELECT `+aliasColumns+` FROM aliases WHERE function = ? AND name = ?`, function, name))
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.FindFunction(ctx, function); err != nil {
			return nil, err
		}
		return nil, aliasNotFound(function, name)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find alias %q of %q: %w", name, function, err)
	}
	return a, nil
}

// ListAliases returns function's aliases, live first, then by name;
// ENOTFOUND when the function does not exist.
func (s *FunctionStore) ListAliases(ctx context.Context, function string) ([]*lambda.Alias, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	rows, err := read.QueryContext(ctx, `SELECT `+aliasColumns+` FROM aliases WHERE function = ?
		ORDER BY name <> 'live', name`, function)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list aliases of %q: %w", function, err)
	}
	defer rows.Close()
	out := []*lambda.Alias{}
	for rows.Next() {
		a, err := scanAlias(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list aliases of %q: %w", function, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list aliases of %q: %w", function, err)
	}
	if len(out) == 0 {
		if _, err := s.FindFunction(ctx, function); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DeleteAlias removes an alias other than live.
func (s *FunctionStore) DeleteAlias(ctx context.Context, function, name string) error {
	if name == lambda.AliasLive {
		return lambda.Errorf(lambda.ECONFLICT, "alias %q of %q cannot be deleted: plain requests use it (it follows the active version)", name, function)
	}
	_, write, err := s.db.pools()
	if err != nil {
		return err
	}
	res, err := write.ExecContext(ctx, `DELETE FROM aliases WHERE function = ? AND name = ?`, function, name)
	if err != nil {
		return fmt.Errorf("sqlite: delete alias %q of %q: %w", name, function, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.FindFunction(ctx, function); err != nil {
			return err
		}
		return aliasNotFound(function, name)
	}
	return nil
}
