package lambda

import (
	"context"
	"strings"
	"time"
)

// Limits and defaults shared by the server and the CLI.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMemoryBytes = 256 << 20
	DefaultPort        = 8080
	MaxTimeout         = 15 * time.Minute
	MinMemoryBytes     = 16 << 20
	MaxMemoryBytes     = 10 << 30
	MaxPayloadBytes    = 6 << 20 // same as AWS Lambda's synchronous limit
	DefaultMaxCodeSize = 50 << 20
)

// Runtimes known to this build: how a function's code becomes an image.
const (
	RuntimeDockerfile = "dockerfile" // a Dockerfile, built as is
	RuntimeGo         = "go"         // a Go main package (plain server, Go SDK or aws-lambda-go)
	RuntimePython     = "python"     // handler.py with handler(event, context)
	RuntimeNode       = "node"       // index.js or handler.js exporting handler
	RuntimeImage      = "image"      // a prebuilt image or a docker save archive
)

// Protocols: how the platform talks to a function's container. See
// docs/runtime-contract.md.
const (
	ProtocolHTTP    = "http"    // the container serves HTTP on $PORT
	ProtocolAWS     = "aws"     // an AWS Lambda Runtime API client, behind the shim
	ProtocolStdio   = "stdio"   // a command run per request, behind the shim
	ProtocolHandler = "handler" // a handler runtime of ours, behind the shim
)

// Protocols lists the protocols a user may ask for.
var Protocols = []string{ProtocolHTTP, ProtocolAWS, ProtocolStdio}

// Instance pool limits.
const (
	DefaultMaxInstances = 10
	MaxInstancesLimit   = 1000
	MaxConcurrency      = 1000
)

// Function is a named, deployable unit. Its configuration is the snapshot in
// its active version: versions are immutable, so a rollback restores code and
// configuration together.
type Function struct {
	Name string `json:"name"`
	// Project is the project whose manifest declares the function ("":
	// deployed on its own).
	Project       string    `json:"project,omitempty"`
	ActiveVersion int       `json:"active_version"`
	Active        *Version  `json:"active,omitempty"`
	Scaling       Scaling   `json:"scaling"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Config is what a deploy sets besides the code.
type Config struct {
	Runtime     string            `json:"runtime"`
	Protocol    string            `json:"protocol"`
	Handler     string            `json:"handler,omitempty"` // e.g. "handler.handler" for Python
	Port        int               `json:"port"`
	Env         map[string]string `json:"env,omitempty"`
	MemoryBytes int64             `json:"memory_bytes"`
	Timeout     Duration          `json:"timeout"`
	// Placement holds the scheduling constraints of the function's
	// instances on a cluster backend, e.g. node.labels.gpu==true.
	Placement []string `json:"placement,omitempty"`
}

// WithDefaults returns c with zero fields set to the platform defaults.
// Runtime and Protocol stay empty when unset: the runtime detected from the
// code decides them.
func (c Config) WithDefaults() Config {
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.MemoryBytes == 0 {
		c.MemoryBytes = DefaultMemoryBytes
	}
	if c.Timeout == 0 {
		c.Timeout = Duration(DefaultTimeout)
	}
	return c
}

// Validate reports the first setting out of range, naming it.
func (c Config) Validate() error {
	switch {
	case c.Port < 1 || c.Port > 65535:
		return Errorf(EINVALID, "port %d is out of range 1-65535", c.Port)
	case c.MemoryBytes < MinMemoryBytes || c.MemoryBytes > MaxMemoryBytes:
		return Errorf(EINVALID, "memory %s is out of range %s-%s", FormatBytes(c.MemoryBytes), FormatBytes(MinMemoryBytes), FormatBytes(MaxMemoryBytes))
	case c.Protocol != "" && c.Protocol != ProtocolHTTP && c.Protocol != ProtocolAWS && c.Protocol != ProtocolStdio && c.Protocol != ProtocolHandler:
		return Errorf(EINVALID, "protocol %q is not supported: use %s", c.Protocol, strings.Join(Protocols, ", "))
	}
	if err := ValidateTimeout(time.Duration(c.Timeout)); err != nil {
		return err
	}
	if err := ValidatePlacement(c.Placement); err != nil {
		return err
	}
	return ValidateEnv(c.Env)
}

// Version is one immutable deployment of a function.
type Version struct {
	Function   string    `json:"function"`
	Number     int       `json:"number"`
	Image      string    `json:"image"`    // tag, e.g. func-greet:v3
	ImageID    string    `json:"image_id"` // content-addressed ID; what instances run
	Config     Config    `json:"config"`
	CodeSHA256 string    `json:"code_sha256"`
	CreatedAt  time.Time `json:"created_at"`
	// PrunedAt is when the version's image was removed to keep only the
	// newest versions (nil: the image is kept). The metadata stays, so the
	// version is still listed; serving it again takes a redeploy.
	PrunedAt *time.Time `json:"pruned_at,omitempty"`
	// Git is where the code came from when it was deployed from git (nil:
	// an upload or an image).
	Git *Provenance `json:"git,omitempty"`
}

// FunctionStore persists functions and their versions.
type FunctionStore interface {
	// NextVersion returns the number the next version of name will get.
	NextVersion(ctx context.Context, name string) (int, error)
	// PublishVersion records v, creating its function if needed, and makes
	// it the active version, in one transaction. ECONFLICT if v.Number exists.
	PublishVersion(ctx context.Context, v *Version) error
	// ActivateVersion points the function at an existing version.
	ActivateVersion(ctx context.Context, name string, number int) error
	FindFunction(ctx context.Context, name string) (*Function, error)
	ListFunctions(ctx context.Context) ([]*Function, error)
	FindVersion(ctx context.Context, name string, number int) (*Version, error)
	// ListVersions returns name's versions, oldest first.
	ListVersions(ctx context.Context, name string) ([]*Version, error)
	// MarkVersionPruned records that the image of an existing version was
	// removed; marking a pruned version again keeps its first time.
	MarkVersionPruned(ctx context.Context, name string, number int) error
	// SetScaling replaces the scaling settings of an existing function.
	SetScaling(ctx context.Context, name string, s Scaling) error
	// DeleteFunction removes the function, its versions and its schedules.
	DeleteFunction(ctx context.Context, name string) error
}
