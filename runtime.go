package lambda

import "context"

// RuntimeInfo describes a runtime and the base images it builds on.
type RuntimeInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Detects     []string `json:"detects"` // files that select it, e.g. handler.py
	Protocol    string   `json:"protocol"`
	// Version is the language version the runtime's functions run (e.g.
	// 3.11.2), as the base image in use says; "" when there is no
	// language or it cannot be told.
	Version string      `json:"version,omitempty"`
	Images  []BaseImage `json:"images"`
}

// BaseImage is an image a runtime needs at build time.
type BaseImage struct {
	Name    string `json:"name"`             // the image in use, e.g. python:3.12-slim or lambda-base/python:3.11-debian12
	Role    string `json:"role"`             // base, builder, shim
	Present bool   `json:"present"`          // on the host now
	Source  string `json:"source,omitempty"` // pulled, assembled from Debian packages, built
}

// RuntimeService lists runtimes and makes their base images available.
type RuntimeService interface {
	ListRuntimes(ctx context.Context) ([]RuntimeInfo, error)
	// PrepareRuntimes makes every base image available: pulled where a
	// registry answers, otherwise assembled locally. Progress gets a Step
	// per image and the log of each.
	PrepareRuntimes(ctx context.Context, p Progress) error
}
