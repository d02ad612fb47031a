// Package stats keeps the history of every function's invocations: counts
// and latency per minute, added up in memory as invocations end (a
// lambda.InvocationObserver), written to a lambda.StatsStore once a minute
// and answered by window (lambda.StatsService), the current minute
// included.
package stats
