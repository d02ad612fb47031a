// Package sdk writes functions for the Lambda platform in Go.
//
// A function is a main package that hands a handler to Start:
//
//	package main
//
//	import (
//		"context"
//		"fmt"
//
//		"github.com/lambdahq/lambda/sdk"
//	)
//
//	type Event struct {
//		Name string `json:"name"`
//	}
//
//	func greet(ctx context.Context, e Event) (map[string]string, error) {
//		if e.Name == "" {
//			return nil, fmt.Errorf("name is required: use ?name=World")
//		}
//		if c, ok := sdk.FromContext(ctx); ok && c.Request != nil {
//			fmt.Println(c.InvocationID, c.Request.Method, c.Request.Path, c.RemainingTime())
//		}
//		return map[string]string{"message": "Hello, " + e.Name + "!"}, nil
//	}
//
//	func main() { sdk.Start(greet, sdk.Info{Name: "greet", Description: "says hello"}) }
//
// Deployed with `lambda deploy`, both `curl "greet.localhost:8080?name=World"`
// and `lambda invoke greet --data '{"name":"World"}'` answer
// {"message":"Hello, World!"}.
//
// # Events
//
// For a direct invocation (lambda invoke, cron, the Lambda Invoke API) the
// event is the JSON payload. For an HTTP request it is the JSON object body,
// if any, with the query parameters set on top as strings; the request
// itself is Context.Request. The handler's event type may be any type
// encoding/json decodes (a struct, map[string]any, json.RawMessage). For
// HTTP requests the SDK converts a string given to a top-level struct field
// that wants a number, boolean, time.Duration or []string, so ?a=1.5 fills
// a float64; a value that does not convert, or an event that does not fit
// the type, is answered with 400 {"errorMessage", "errorType"} naming it
// (for a direct invocation it is the invocation's error).
//
// # Results and errors
//
// The result is encoded as JSON and answered with 200. A Response (an
// object with an integer statusCode) is an HTTP response instead. A
// returned error fails the invocation: the caller gets 500
// {"errorMessage": err.Error(), "errorType": "…"} with the header
// X-Lambda-Function-Error: Unhandled, where errorType is the error's
// ErrorType() string method if it has one, else its Go type name
// ("errorString" for errors.New, as aws-lambda-go reports it). The SDK
// logs the error to stderr, with the error's StackTrace() []string if it
// has one. A panic is reported the same way with its stack trace, printed
// to stderr, and the process exits with status 2: the platform replaces
// the instance.
//
// # State between invocations
//
// Run serves a Function: Init runs once per instance before the first
// invocation, NewWorker creates per-worker state when no worker is idle
// (workers are reused afterwards), Worker.Run serves each invocation and
// Stop runs on SIGTERM before the process exits 0. An Init error is
// reported to the platform, which fails the deploy with it.
//
// # Plain functions
//
// RunFunc serves a plain Go function, its parameters taken by name from
// the event, where HTTP query parameters are:
//
//	func add(a, b float64) float64 { return a + b }
//
//	func main() { sdk.RunFunc(add, "a", "b") } // ?a=1.5&b=2 → 3.5
//
// # Metadata
//
// A function binary run with -info prints its metadata as JSON (name,
// description and version from Info, the event and result types and the
// event's fields) and exits, without the platform.
//
// # Building
//
// The package uses only the standard library: the platform compiles
// functions without network access by putting Source in place of this
// module. Functions run under the platform's shim with the handler
// protocol, which wraps each event in an envelope with its context
// (docs/runtime-contract.md); they are not AWS Lambda functions.
package sdk
