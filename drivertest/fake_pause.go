package drivertest

import (
	"context"

	"github.com/lambdahq/lambda"
)

// PauseInstance freezes the instance as Docker's pause does: it keeps its
// listener, so connections are accepted, but no request is answered (the
// handlers wait) until UnpauseInstance, or until it stops (Docker thaws a
// container it kills).
func (f *Fake) PauseInstance(ctx context.Context, id string) error {
	if err := f.check(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fi := f.instances[id]
	switch {
	case fi == nil || !f.sees(fi.namespace):
		return lambda.Errorf(lambda.ENOTFOUND, "instance %s not found", id)
	case !fi.inst.Running || fi.stopping:
		return lambda.Errorf(lambda.ECONFLICT, "pause instance %s: container is not running", id)
	case fi.frozen == nil:
		fi.frozen = make(chan struct{})
		fi.inst.Paused = true
	}
	return nil
}

// UnpauseInstance thaws a paused instance: the requests it held are
// answered.
func (f *Fake) UnpauseInstance(ctx context.Context, id string) error {
	if err := f.check(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fi := f.instances[id]
	if fi == nil || !f.sees(fi.namespace) {
		return lambda.Errorf(lambda.ENOTFOUND, "instance %s not found", id)
	}
	f.thawLocked(fi)
	return nil
}

func (f *Fake) thawLocked(fi *fakeInstance) {
	if fi.frozen != nil {
		close(fi.frozen)
		fi.frozen = nil
		fi.inst.Paused = false
	}
}

// waitThawed holds a request while fi is paused, as a frozen process
// leaves its client waiting; false when the client gave up.
func (f *Fake) waitThawed(ctx context.Context, fi *fakeInstance) bool {
	f.mu.Lock()
	gate := fi.frozen
	f.mu.Unlock()
	if gate == nil {
		return true
	}
	select {
	case <-gate:
		return true
	case <-ctx.Done():
		return false
	}
}
