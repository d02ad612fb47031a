package main

import (
	"github.com/lambdahq/lambda/history"
	"github.com/lambdahq/lambda/sqlite"
)

// wireHistory keeps the records of recent synchronous invocations, which
// `lambda invocations NAME` lists with the jobs: the recorder observes
// every invocation (a channel send) and writes them in batches.
func (p *platform) wireHistory(o platformOptions) {
	p.history = history.New(sqlite.NewInvocationStore(p.db), o.logger)
	p.invoker.Observers = append(p.invoker.Observers, p.history)
	p.srv.History = p.history.Store
}
