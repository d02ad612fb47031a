package http

// Invoker runs every invocation: the gateway's streamed HTTP requests and
// direct invocations (lambda.Invoker). Being written (issue 10).
type Invoker struct{}
