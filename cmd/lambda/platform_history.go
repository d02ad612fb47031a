package main

import (
	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/history"
	"github.com/lambdahq/lambda/sqlite"
)

// wireHistory keeps the records of recent synchronous invocations, which
// `lambda invocations NAME` lists with the jobs: the recorder observes
// every invocation (a channel send) and writes them in batches.
func (p *platform) wireHistory(o platformOptions) {
	var store lambda.InvocationHistory = sqlite.NewInvocationStore(p.db)
	if o.external {
		// External functions have no row in the store: their records
		// are kept in memory.
		store = lambda.NewExternalHistory(store, p.eng.IsExternal)
	}
	p.history = history.New(store, o.logger)
	p.invoker.Observers = append(p.invoker.Observers, p.history)
	p.srv.History = p.history.Store
}
