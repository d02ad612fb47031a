package drivertest

import (
	"context"
	"net"
	"time"

	"github.com/lambdahq/lambda"
)

// Network holders, as the Docker driver keeps them (docker/holder.go): a
// pre-created instance is created in a holder of its own, which owns its
// address (here a listener opened ahead, which the instance's server
// takes at its start), and goes with the instance. A holder that serves
// nothing is listed as a stopped container of its function, as Docker's
// leftovers are, so that a reconcile or a delete removes it.
type fakeHolder struct {
	id, function string
	version      int
	namespace    string
	ln           net.Listener // the address; nil once the instance serves on it
	addr         string
	serves       string // the instance created in it ("" none)
}

func (f *Fake) newHolderLocked(function string, version int) (*fakeHolder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, lambda.Errorf(lambda.EUNAVAILABLE, "network holder: %v", err)
	}
	h := &fakeHolder{id: randHex(32), function: function, version: version, namespace: f.Namespace, ln: ln, addr: ln.Addr().String()}
	f.holders[h.id] = h
	return h, nil
}

// removeHolderLocked removes holder id ("" or unknown: nothing).
func (f *Fake) removeHolderLocked(id string) {
	h := f.holders[id]
	if h == nil {
		return
	}
	if h.ln != nil {
		h.ln.Close()
	}
	delete(f.holders, id)
}

// leftoverHoldersLocked lists the holders of f's namespace that serve no
// instance, as stopped containers.
func (f *Fake) leftoverHoldersLocked() []*lambda.Instance {
	var out []*lambda.Instance
	for _, h := range f.holders {
		if !f.sees(h.namespace) || f.instances[h.serves] != nil {
			continue
		}
		out = append(out, &lambda.Instance{ID: h.id, Function: h.function, Version: h.version, CreatedAt: time.Now()})
	}
	return out
}

// NetworkHolder returns the holder instance id was created in and its
// address, as the Docker driver's.
func (f *Fake) NetworkHolder(ctx context.Context, id string) (holder, addr string, err error) {
	if err := f.check(ctx); err != nil {
		return "", "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fi := f.instances[id]
	if fi == nil || !f.sees(fi.namespace) {
		return "", "", lambda.Errorf(lambda.ENOTFOUND, "instance %s not found", id)
	}
	if h := f.holders[fi.holder]; h != nil {
		return h.id, h.addr, nil
	}
	return "", "", nil
}

// NetworkHolders lists the IDs of the holders of f's namespace.
func (f *Fake) NetworkHolders(ctx context.Context) ([]string, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id, h := range f.holders {
		if f.sees(h.namespace) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// LeaveHolder adds a holder of function's version that serves nothing,
// as a server killed between a holder's start and its spare's create
// leaves behind, and returns its ID.
func (f *Fake) LeaveHolder(function string, version int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, err := f.newHolderLocked(function, version)
	if err != nil {
		panic(err)
	}
	return h.id
}

// KillHolder simulates holder id's death: the instance started in it has
// lost its network and is killed (the Docker driver's holderDied).
func (f *Fake) KillHolder(id string) error {
	f.mu.Lock()
	h := f.holders[id]
	var serves string
	if h != nil {
		serves = h.serves
		f.removeHolderLocked(id)
	}
	fi := f.instances[serves]
	f.mu.Unlock()
	if h == nil {
		return lambda.Errorf(lambda.ENOTFOUND, "network holder %s not found", id)
	}
	if fi != nil && fi.srv != nil {
		return f.Kill(serves)
	}
	return nil
}
