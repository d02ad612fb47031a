package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/lambdahq/lambda"
)

// DeleteVersion removes version number of name (lambda.VersionDeleter).
// The active version, and one an alias routes to, are refused with
// ECONFLICT: the first serves plain requests, the second the alias's.
func (s *FunctionStore) DeleteVersion(ctx context.Context, name string, number int) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		var active int
		err := tx.QueryRowContext(ctx, `SELECT active_version FROM functions WHERE name = ?`, name).Scan(&active)
		if err == sql.ErrNoRows {
			return functionNotFound(name)
		}
		if err != nil {
			return fmt.Errorf("sqlite: find function %q: %w", name, err)
		}
		if number == active {
			return lambda.Errorf(lambda.ECONFLICT, "version %d of function %q is its active version: deploy or roll back to another first", number, name)
		}
		rows, err := tx.QueryContext(ctx, `SELECT name FROM aliases WHERE function = ? AND (version = ? OR additional_version = ?) ORDER BY name`, name, number, number)
		if err != nil {
			return fmt.Errorf("sqlite: aliases of version %d of %q: %w", number, name, err)
		}
		var aliases []string
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				rows.Close()
				return err
			}
			aliases = append(aliases, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(aliases) > 0 {
			return lambda.Errorf(lambda.ECONFLICT, "Unable to delete version %d of %q because the following aliases reference it: [%s]", number, name, strings.Join(aliases, ", "))
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM versions WHERE function = ? AND number = ?`, name, number)
		if err != nil {
			return fmt.Errorf("sqlite: delete version %d of %q: %w", number, name, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return versionNotFound(name, number)
		}
		return nil
	})
}
