package engine

import (
	"context"
	"net"
	"time"

	"github.com/lambdahq/lambda"
)

// reconcileLoop reconciles once the container engine answers, retrying
// while it is unreachable, so a server started before Docker recovers by
// itself.
func (e *Engine) reconcileLoop() {
	for {
		err := e.reconcile(e.ctx)
		if err == nil {
			return
		}
		if e.ctx.Err() != nil {
			return
		}
		e.Logger.Warn("cannot reconcile containers yet; retrying", "err", err)
		select {
		case <-e.ctx.Done():
			return
		case <-time.After(e.ReconcileInterval):
		}
	}
}

// reconcile adopts, for each function, one running container of its active
// version that still answers, and removes every other container labelled as
// the platform's: leftovers of old versions, deleted functions or crashes.
func (e *Engine) reconcile(ctx context.Context) error {
	containers, err := e.Driver.ListInstances(ctx)
	if err != nil {
		return err
	}
	for _, c := range containers {
		if _, mine := e.owned.Load(c.ID); mine || e.adopt(ctx, c) {
			continue
		}
		e.Logger.Info("removing leftover container", "function", c.Function, "version", c.Version, "container", short(c.ID))
		e.stopContainer(c.ID)
	}
	return nil
}

func (e *Engine) adopt(ctx context.Context, c *lambda.Instance) bool {
	if !c.Running || c.Addr == "" {
		return false
	}
	fn, err := e.Store.FindFunction(ctx, c.Function)
	if err != nil || fn.Active == nil || fn.ActiveVersion != c.Version {
		return false
	}
	conn, err := net.DialTimeout("tcp", c.Addr, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	st, err := e.state(ctx, c.Function)
	if err != nil {
		return false
	}
	_, p := st.effective()
	if p.version.Number != c.Version || !e.reserveSlot() {
		return false
	}
	in := &instance{Instance: c}
	e.live.Store(c.ID, in)
	p.add([]*instance{in})
	p.kick()
	e.Logger.Info("re-adopted instance", "function", c.Function, "version", c.Version, "container", short(c.ID))
	return true
}
