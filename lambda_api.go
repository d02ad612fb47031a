package lambda

import "context"

// The Lambda API (API version 2015-03-31) manages functions the way AWS
// Lambda does: it rebuilds a function from its zip when only its
// configuration changes, and records what the platform itself has no
// setting for. These interfaces keep both.

// FunctionMeta is what a Lambda API client sets on a function that changes
// nothing in how it runs: recorded and answered back, never enforced.
type FunctionMeta struct {
	Description string `json:"description,omitempty"`
	Role        string `json:"role,omitempty"`
	// Runtime is the Lambda runtime identifier the function was last
	// deployed with (python3.12, provided.al2023...): the platform's own
	// runtime names only the language.
	Runtime string `json:"runtime,omitempty"`
	// Handler is the Handler of a provided runtime, whose bootstrap alone
	// decides what it means; the handler runtimes keep theirs in Config.
	Handler string `json:"handler,omitempty"`
	// CodeSize is the size in bytes of the zip last deployed.
	CodeSize int64 `json:"code_size,omitempty"`
}

// CodeStore keeps the code archives (the tar.gz a deploy extracts) of the
// versions deployed through the Lambda API, by function and the archive's
// hex SHA-256 (a version's CodeSHA256), and each function's FunctionMeta.
type CodeStore interface {
	SaveCode(ctx context.Context, function, sum string, tarGz []byte) error
	// LoadCode returns ENOTFOUND for code never saved (a function deployed
	// with the platform's own CLI, or from an image).
	LoadCode(ctx context.Context, function, sum string) ([]byte, error)
	// Meta returns the zero FunctionMeta for a function with none.
	Meta(ctx context.Context, function string) (FunctionMeta, error)
	SetMeta(ctx context.Context, function string, m FunctionMeta) error
	// Forget removes everything kept of function.
	Forget(ctx context.Context, function string) error
}

// VersionDeleter deletes one version of a function that is not its active
// one: its record and its image. ECONFLICT for the active version, or one
// an alias routes to.
type VersionDeleter interface {
	DeleteVersion(ctx context.Context, name string, number int) error
}
