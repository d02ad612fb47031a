// Package archive moves a function's code between the CLI and the server as
// a gzip-compressed tar.
//
// Pack runs on the user's machine: it honours .dockerignore and .lambdaignore
// and produces the same bytes for the same directory, so the code's SHA-256 is
// stable across deploys. Extract runs on the server and treats its input as
// hostile: nothing it writes can land outside the destination directory, and
// its limits stop archives that lie about sizes or expand without bound.
package archive

import lambda "github.com/lambdahq/lambda"

// DefaultMaxBytes caps the uncompressed file content Pack accepts.
const DefaultMaxBytes = lambda.DefaultMaxCodeSize
