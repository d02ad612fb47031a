package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// MarkVersionPruned records that the image of version number of name was
// removed. The first time is kept: a prune retried after a crash does not
// move it.
func (s *FunctionStore) MarkVersionPruned(ctx context.Context, name string, number int) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE versions SET pruned_at = COALESCE(pruned_at, ?)
			WHERE function = ? AND number = ?`, formatTime(s.db.now()), name, number)
		if err != nil {
			return fmt.Errorf("sqlite: mark version %d of %q pruned: %w", number, name, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlite: mark version %d of %q pruned: %w", number, name, err)
		} else if n > 0 {
			return nil
		}
		var fn int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM functions WHERE name = ?`, name).Scan(&fn); err != nil {
			return fmt.Errorf("sqlite: find function %q: %w", name, err)
		}
		if fn == 0 {
			return functionNotFound(name)
		}
		return versionNotFound(name, number)
	})
}
