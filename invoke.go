package lambda

import (
	"context"
	"time"
)

// Router hands out leases on instances of a function's active version. The
// engine implements it with a pool of instances per function (scaled up to
// its max instances, queueing when all are busy, starting them cold when
// needed, within its reserved concurrency); the http package's Invoker is
// its one caller, for every trigger.
type Router interface {
	// Acquire returns an instance ready to serve name's active version,
	// or the version or alias the qualifier in ctx (WithQualifier) names,
	// starting one if needed. An alias with a split picks one of its two
	// versions per request. The caller must Release the lease, whose
	// Version says which version serves.
	Acquire(ctx context.Context, name string) (*Lease, error)
}

// Lease is the right to send one request to an instance.
type Lease struct {
	Function string
	Version  int
	Addr     string
	Timeout  time.Duration // the function's per-request timeout
	Cold     bool          // the instance was started for this request
	Wait     time.Duration // time spent getting the lease (queue, cold start)
	// Instance is the container's ID and MemoryBytes its memory limit,
	// for the invocation's record and its REPORT line.
	Instance    string
	MemoryBytes int64
	// Shim: a shim answers for the function (every protocol but http), so
	// the platform headers of its answers are the shim's, not the
	// function's (X-Lambda-Max-Memory-Used).
	Shim bool
	// Done must be called once the request has finished. failed reports
	// that the instance could not be reached or broke the connection, so
	// the router can replace it.
	Done func(failed bool)
	// Diagnose, when set, explains why the instance broke a request; see
	// Failure.
	Diagnose func(ctx context.Context) error
}

// Failure tells why the instance broke the connection instead of
// answering: an EOUTOFMEMORY error when it ran out of memory, an
// EFUNCTION one with its exit status, or nil when the router does not know (the instance still runs,
// or its exit was not observed within a short, bounded wait). Call it
// before Release.
func (l *Lease) Failure(ctx context.Context) error {
	if l.Diagnose == nil {
		return nil
	}
	return l.Diagnose(ctx)
}

// Release ends the lease; failed marks the instance as broken.
func (l *Lease) Release(failed bool) {
	if l.Done != nil {
		l.Done(failed)
	}
}

// QualifierChecker tells whether a function's qualifier names something
// that can run now: an alias it has, or a version it keeps the image of.
// The async queue asks it before a job is stored, so that an event for an
// alias or version that does not exist is refused at once (404), not
// stored to die later. The engine implements it from its routing table.
type QualifierChecker interface {
	CheckQualifier(ctx context.Context, function, qualifier string) error
}
