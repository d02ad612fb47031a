package sdk

import "embed"

// Source is this package's source code. The server writes it into the
// sdk/ directory of a stand-in github.com/lambdahq/lambda module to build
// functions that import the SDK without network access, which is why the
// package imports nothing outside the standard library. It also holds the
// _test.go files; the go tool ignores them in a build, and a writer may
// skip them.
//
//go:embed *.go
var Source embed.FS
