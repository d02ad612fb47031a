package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lambdahq/lambda"
)

const versionColumns = `v.function, v.number, v.image, v.image_id, v.config, v.code_sha256, v.created_at, v.pruned_at` + gitColumns

// functionQuery joins each function with its active version, so listing
// needs one query rather than one per function.
const functionQuery = `SELECT f.name, f.project, f.active_version, f.created_at, f.updated_at, f.scaling, ` + versionColumns + `
	FROM functions f LEFT JOIN versions v ON v.function = f.name AND v.number = f.active_version`

// versionRow receives version columns that a LEFT JOIN may leave NULL.
type versionRow struct {
	function, image, imageID, config, codeSHA256, createdAt, prunedAt sql.NullString
	number                                                            sql.NullInt64
	git                                                               gitRow
}

func (r *versionRow) dest() []any {
	return append([]any{&r.function, &r.number, &r.image, &r.imageID, &r.config, &r.codeSHA256, &r.createdAt, &r.prunedAt}, r.git.dest()...)
}

// version returns nil when the join found no version.
func (r *versionRow) version() (*lambda.Version, error) {
	if !r.number.Valid {
		return nil, nil
	}
	v := &lambda.Version{
		Function:   r.function.String,
		Number:     int(r.number.Int64),
		Image:      r.image.String,
		ImageID:    r.imageID.String,
		CodeSHA256: r.codeSHA256.String,
		Git:        r.git.provenance(),
	}
	if err := json.Unmarshal([]byte(r.config.String), &v.Config); err != nil {
		return nil, fmt.Errorf("sqlite: stored config of %q version %d: %w", v.Function, v.Number, err)
	}
	var err error
	if v.CreatedAt, err = parseTime(r.createdAt.String); err != nil {
		return nil, err
	}
	if v.PrunedAt, err = parseNullTime(r.prunedAt); err != nil {
		return nil, err
	}
	return v, nil
}

func scanFunction(row scanner) (*lambda.Function, error) {
	var (
		f                lambda.Function
		created, updated string
		scaling          string
		vr               versionRow
	)
	if err := row.Scan(append([]any{&f.Name, &f.Project, &f.ActiveVersion, &created, &updated, &scaling}, vr.dest()...)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scaling), &f.Scaling); err != nil {
		return nil, fmt.Errorf("sqlite: stored scaling of %q: %w", f.Name, err)
	}
	var err error
	if f.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if f.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	if f.Active, err = vr.version(); err != nil {
		return nil, err
	}
	return &f, nil
}

// FindFunction returns name with its active version.
func (s *FunctionStore) FindFunction(ctx context.Context, name string) (*lambda.Function, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	f, err := scanFunction(read.QueryRowContext(ctx, functionQuery+` WHERE f.name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, functionNotFound(name)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find function %q: %w", name, err)
	}
	return f, nil
}

// ListFunctions returns all functions by name, each with its active version.
func (s *FunctionStore) ListFunctions(ctx context.Context) ([]*lambda.Function, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	rows, err := read.QueryContext(ctx, functionQuery+` ORDER BY f.name`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list functions: %w", err)
	}
	defer rows.Close()
	fns := []*lambda.Function{}
	for rows.Next() {
		f, err := scanFunction(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list functions: %w", err)
		}
		fns = append(fns, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list functions: %w", err)
	}
	return fns, nil
}

// FindVersion returns one version. The not-found message tells a missing
// function from a missing version.
func (s *FunctionStore) FindVersion(ctx context.Context, name string, number int) (*lambda.Version, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	var vr versionRow
	err = read.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM functions f
		LEFT JOIN versions v ON v.function = f.name AND v.number = ? WHERE f.name = ?`, number, name).Scan(vr.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, functionNotFound(name)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find version %d of %q: %w", number, name, err)
	}
	v, err := vr.version()
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, versionNotFound(name, number)
	}
	return v, nil
}

// ListVersions returns name's versions, oldest first; ENOTFOUND when the
// function does not exist.
func (s *FunctionStore) ListVersions(ctx context.Context, name string) ([]*lambda.Version, error) {
	read, _, err := s.db.pools()
	if err != nil {
		return nil, err
	}
	// The LEFT JOIN yields one all-NULL row for a function without versions
	// and none for a missing function, telling the two apart in one query.
	rows, err := read.QueryContext(ctx, `SELECT `+versionColumns+` FROM functions f
		LEFT JOIN versions v ON v.function = f.name WHERE f.name = ? ORDER BY v.number`, name)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list versions of %q: %w", name, err)
	}
	defer rows.Close()
	found := false
	vs := []*lambda.Version{}
	for rows.Next() {
		found = true
		var vr versionRow
		if err := rows.Scan(vr.dest()...); err != nil {
			return nil, fmt.Errorf("sqlite: list versions of %q: %w", name, err)
		}
		v, err := vr.version()
		if err != nil {
			return nil, err
		}
		if v != nil {
			vs = append(vs, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list versions of %q: %w", name, err)
	}
	if !found {
		return nil, functionNotFound(name)
	}
	return vs, nil
}
