package shim

import "embed"

// Source is this package's source, so the runtimes package can compile the
// shim inside a Docker build where only the standard library is available.
//
//go:embed *.go
var Source embed.FS
