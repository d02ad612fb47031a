package main

import (
	"github.com/lambdahq/lambda/sqlite"
	"github.com/lambdahq/lambda/stats"
)

// wireStats keeps the functions' history: every invocation is added up in
// memory and written to the database once a minute (and at close, so that
// a clean restart loses nothing); the stats API answers from both. A
// deleted function's history goes: its rows with the function's, its
// minutes in memory as the engine tells the recorder of the deletion
// (lambda delete and a project's --prune alike).
func (p *platform) wireStats(o platformOptions) {
	p.stats = stats.New(sqlite.NewStatsStore(p.db))
	p.stats.Functions, p.stats.Logger = p.functions, o.logger
	p.invoker.Observers = append(p.invoker.Observers, p.stats)
	p.srv.Stats = p.stats
	p.eng.DeleteObservers = append(p.eng.DeleteObservers, p.stats)
}
