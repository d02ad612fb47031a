package sdk

// Option configures Start, Run and RunFunc's Func. Info is an Option.
type Option interface{ apply(*options) }

type options struct {
	info        Info
	concurrency int
}

func collectOptions(opts []Option) options {
	o := options{concurrency: 1}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}

type concurrency int

func (c concurrency) apply(o *options) {
	if c > 0 {
		o.concurrency = int(c)
	}
}

// Concurrency is how many invocations the process asks the Runtime API for
// at once (default 1). The platform's shim delivers one invocation at a
// time per process, so more only helps under a runtime that delivers
// several; handlers and workers must then be safe to run concurrently
// (each Worker still serves one invocation at a time).
func Concurrency(n int) Option { return concurrency(n) }
