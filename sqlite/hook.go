package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/lambdahq/lambda"
)

var _ lambda.HookStore = (*HookStore)(nil)

// HookStore implements lambda.HookStore.
type HookStore struct {
	db *DB
}

// NewHookStore returns a store on db, which must be opened before use.
func NewHookStore(db *DB) *HookStore { return &HookStore{db: db} }

func hookNotFound(id string) error {
	return lambda.Errorf(lambda.ENOTFOUND, "hook %q not found: lambda project hooks lists them", id)
}

// CreateHook stores h; ECONFLICT if its ID is taken.
func (s *HookStore) CreateHook(ctx context.Context, h *lambda.Hook, sealed []byte) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO hooks (id, project, repository, branch, subdir, sealed_secret, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, h.ID, h.Project, h.Repository, h.Branch, h.Subdir, sealed, formatTime(h.CreatedAt))
		if isPrimaryKeyViolation(err) {
			return lambda.Errorf(lambda.ECONFLICT, "hook %q exists", h.ID)
		}
		if err != nil {
			return fmt.Errorf("sqlite: create hook: %w", err)
		}
		return nil
	})
}

const hookQuery = `SELECT h.id, h.project, h.repository, h.branch, h.subdir, h.created_at,
	d.id, d.deploy_id, d.ref, d.git_commit, d.status, d.error, d.received_at, d.finished_at
	FROM hooks h LEFT JOIN hook_deliveries d ON d.hook = h.id AND d.rowid = (
		SELECT rowid FROM hook_deliveries WHERE hook = h.id ORDER BY received_at DESC, rowid DESC LIMIT 1)`

func scanHook(row scanner, extra ...any) (*lambda.Hook, error) {
	var (
		h                                            lambda.Hook
		created                                      string
		did, deploy, ref, commit, status, msg, recvd sql.NullString
		finished                                     sql.NullString
	)
	dest := append([]any{&h.ID, &h.Project, &h.Repository, &h.Branch, &h.Subdir, &created,
		&did, &deploy, &ref, &commit, &status, &msg, &recvd, &finished}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	var err error
	if h.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if did.Valid {
		d := &lambda.HookDelivery{ID: did.String, Hook: h.ID, DeployID: deploy.String, Ref: ref.String, Commit: commit.String, Status: status.String, Error: msg.String}
		if d.ReceivedAt, err = parseTime(recvd.String); err != nil {
			return nil, err
		}
		if d.FinishedAt, err = parseNullTime(finished); err != nil {
			return nil, err
		}
		h.Last = d
	}
	return &h, nil
}

// FindHook returns the hook and its sealed secret.
func (s *HookStore) FindHook(ctx context.Context, id string) (*lambda.Hook, []byte, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, nil, err
	}
	var sealed []byte
	q := `SELECT h.id, h.project, h.repository, h.branch, h.subdir, h.created_at,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, h.sealed_secret FROM hooks h WHERE h.id = ?`
	h, err := scanHook(read.QueryRowContext(ctx, q, id), &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, hookNotFound(id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: find hook %q: %w", id, err)
	}
	return h, sealed, nil
}

// ListHooks returns every hook with its latest delivery, oldest first.
func (s *HookStore) ListHooks(ctx context.Context) ([]*lambda.Hook, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	rows, err := read.QueryContext(ctx, hookQuery+` ORDER BY h.created_at, h.id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list hooks: %w", err)
	}
	defer rows.Close()
	var out []*lambda.Hook
	for rows.Next() {
		h, err := scanHook(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list hooks: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list hooks: %w", err)
	}
	return out, nil
}

// DeleteHook removes a hook; its deliveries cascade.
func (s *HookStore) DeleteHook(ctx context.Context, id string) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM hooks WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete hook %q: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hookNotFound(id)
		}
		return nil
	})
}

// AddDelivery inserts d unless its hook has that delivery ID: then it
// returns the recorded one and false. The check and the insert are one
// transaction, so two concurrent deliveries of an ID deploy once.
func (s *HookStore) AddDelivery(ctx context.Context, d *lambda.HookDelivery) (*lambda.HookDelivery, bool, error) {
	var existing *lambda.HookDelivery
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var (
			old      lambda.HookDelivery
			recvd    string
			finished sql.NullString
		)
		err := tx.QueryRowContext(ctx, `SELECT id, hook, deploy_id, ref, git_commit, status, error, received_at, finished_at
			FROM hook_deliveries WHERE hook = ? AND id = ?`, d.Hook, d.ID).
			Scan(&old.ID, &old.Hook, &old.DeployID, &old.Ref, &old.Commit, &old.Status, &old.Error, &recvd, &finished)
		switch {
		case err == nil:
			if old.ReceivedAt, err = parseTime(recvd); err != nil {
				return err
			}
			if old.FinishedAt, err = parseNullTime(finished); err != nil {
				return err
			}
			existing = &old
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("sqlite: find delivery: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO hook_deliveries (hook, id, deploy_id, ref, git_commit, status, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, d.Hook, d.ID, d.DeployID, d.Ref, d.Commit, d.Status, formatTime(d.ReceivedAt))
		if isForeignKeyViolation(err) {
			return hookNotFound(d.Hook)
		}
		if err != nil {
			return fmt.Errorf("sqlite: add delivery: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	if existing != nil {
		return existing, false, nil
	}
	return d, true, nil
}

// FinishDelivery records how a delivery's deploy ended.
func (s *HookStore) FinishDelivery(ctx context.Context, hook, id, status, message string) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE hook_deliveries SET status = ?, error = ?, finished_at = ? WHERE hook = ? AND id = ?`,
			status, message, formatTime(s.db.now()), hook, id)
		if err != nil {
			return fmt.Errorf("sqlite: finish delivery: %w", err)
		}
		return nil
	})
}
