package sqlite

import (
	"database/sql"

	"github.com/lambdahq/lambda"
)

// versionInsert inserts a version with its git provenance (migration
// 0013); the values are versionValues'.
const versionInsert = `INSERT INTO versions
	(function, number, image, image_id, config, code_sha256, created_at, git_repository, git_ref, git_commit, git_subdir)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// versionValues are versionInsert's values for v of function name.
func versionValues(name string, v *lambda.Version, config string) []any {
	var repo, ref, commit, subdir sql.NullString
	if g := v.Git; g != nil {
		repo = sql.NullString{String: lambda.RedactURL(g.Repository), Valid: true}
		ref = sql.NullString{String: g.Ref, Valid: true}
		commit = sql.NullString{String: g.Commit, Valid: true}
		subdir = sql.NullString{String: g.Subdir, Valid: true}
	}
	return []any{name, v.Number, v.Image, v.ImageID, config, v.CodeSHA256, formatTime(v.CreatedAt), repo, ref, commit, subdir}
}

// gitColumns follow versionColumns in a version's row.
const gitColumns = `, v.git_repository, v.git_ref, v.git_commit, v.git_subdir`

// gitRow receives gitColumns.
type gitRow struct {
	repository, ref, commit, subdir sql.NullString
}

func (r *gitRow) dest() []any { return []any{&r.repository, &r.ref, &r.commit, &r.subdir} }

// provenance is nil for a version not deployed from git.
func (r *gitRow) provenance() *lambda.Provenance {
	if !r.commit.Valid {
		return nil
	}
	return &lambda.Provenance{Repository: r.repository.String, Ref: r.ref.String, Commit: r.commit.String, Subdir: r.subdir.String}
}
