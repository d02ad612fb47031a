package drivertest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

var _ lambda.PrecreateDriver = (*Fake)(nil)

// CreateInstance records a created instance: listed, not running, no
// address, no server until StartCreated; as the Docker driver's, it is
// created in a network holder of its own (fake_holder.go).
func (f *Fake) CreateInstance(ctx context.Context, spec lambda.InstanceSpec) (string, error) {
	if err := f.check(ctx); err != nil {
		return "", err
	}
	f.mu.Lock()
	gate := f.createGate
	f.creating++
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.creating--
		f.mu.Unlock()
	}()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	if err := spec.Validate(); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	img := f.resolveLocked(spec.Image)
	if img == nil {
		return "", lambda.Errorf(lambda.ENOTFOUND, "image %q of %s v%d not found: build or pull it first", spec.Image, spec.Function, spec.Version)
	}
	fi := &fakeInstance{spec: spec, imageID: img.ID, namespace: f.Namespace}
	fi.inst = lambda.Instance{ID: randHex(32), Function: spec.Function, Version: spec.Version, CreatedAt: time.Now()}
	h, err := f.newHolderLocked(spec.Function, spec.Version)
	if err != nil {
		return "", err
	}
	h.serves, fi.holder = fi.inst.ID, h.id
	f.instances[fi.inst.ID] = fi
	return fi.inst.ID, nil
}

// HoldCreates holds every CreateInstance from now on until the returned
// function is called (once or more): a create that takes Docker long.
func (f *Fake) HoldCreates() (release func()) {
	gate := make(chan struct{})
	f.mu.Lock()
	f.createGate = gate
	f.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			if f.createGate == gate {
				f.createGate = nil
			}
			f.mu.Unlock()
			close(gate)
		})
	}
}

// Creating is the number of CreateInstance calls in flight.
func (f *Fake) Creating() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creating
}

// StartCreated starts the server of a created instance; it counts as a
// start in Specs.
func (f *Fake) StartCreated(ctx context.Context, id string, spec lambda.InstanceSpec) (*lambda.Instance, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fi := f.instances[id]
	if fi == nil || !f.sees(fi.namespace) {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "instance %s not found", id)
	}
	if fi.srv != nil {
		return nil, lambda.Errorf(lambda.ECONFLICT, "instance %s was started already", id)
	}
	f.specs = append(f.specs, fi.spec)
	fi.srv = httptest.NewUnstartedServer(f.serve(fi))
	if h := f.holders[fi.holder]; h != nil && h.ln != nil {
		// It serves in its holder's namespace: on the holder's address.
		fi.srv.Listener.Close()
		fi.srv.Listener, h.ln = h.ln, nil
	}
	fi.srv.Start()
	fi.inst.Addr, fi.inst.Running, fi.inst.CreatedAt = fi.srv.Listener.Addr().String(), true, time.Now()
	f.logLocked(fi, fmt.Sprintf("%s on :%d", StartLine, fi.spec.Port))
	inst := fi.inst
	return &inst, nil
}
