package engine

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/lambdahq/lambda"
)

// A generic instance that dies while it waits (docker kill, the OOM
// killer, a crashed interpreter) leaves its pool as soon as the exit
// watcher hears of it, as a function's instance does (dropInstance): a
// cold start given it would pay for a failed init, then start the regular
// way. Its container is removed and a new one started in its place.

// genericMinLife: a generic instance that dies sooner after its start
// died quickly. After more quick deaths in a row than its pool's size, a
// death no longer refills the pool at once (a runtime image whose
// interpreter crashes would otherwise start containers in a loop): the
// next cold start of the runtime refills it, as it always does.
const genericMinLife = 10 * time.Second

// errGenericExited: a generic instance's container exited before it was
// ready to take an init.
var errGenericExited = errors.New("its container exited before it was ready")

// deadGeneric is a generic instance taken out of its pool because its
// container exited.
type deadGeneric struct {
	li     *lambda.Instance
	exit   lambda.Exit
	refill bool // whether its death refills the pool at once
}

// dropGeneric takes the generic instance whose container exited out of
// its pool, if it waits there: those the engine stopped itself, or gave
// to a function, left the pool before.
func (e *Engine) dropGeneric(exit lambda.Exit) {
	s := &e.preinit
	s.mu.Lock()
	for _, p := range s.pools {
		i := slices.IndexFunc(p.ready, func(li *lambda.Instance) bool { return li.ID == exit.ID })
		if i < 0 {
			continue
		}
		li := p.ready[i]
		p.ready = slices.Delete(p.ready, i, i+1)
		d := deadGeneric{li: li, exit: exit, refill: e.diedLocked(p, li)}
		s.mu.Unlock()
		e.genericDied(p, d)
		return
	}
	s.mu.Unlock()
}

// takeLiveLocked takes p's first waiting generic instance whose exit the
// engine has not heard of (nil: none), and those it passed that died: the
// watcher records an exit before it looks for the instance in the pools,
// so a cold start in between must not be given it.
func (e *Engine) takeLiveLocked(p *stemPool) (*lambda.Instance, []deadGeneric) {
	var dead []deadGeneric
	for len(p.ready) > 0 {
		li := p.ready[0]
		p.ready = p.ready[1:]
		exit, ok := e.exits.exit(li.ID)
		if !ok {
			return li, dead
		}
		dead = append(dead, deadGeneric{li: li, exit: exit, refill: e.diedLocked(p, li)})
	}
	return nil, dead
}

// diedLocked counts the death of p's generic instance li and reports
// whether the pool is to be refilled at once: not after too many quick
// deaths in a row, nor for a runtime unused for Idle (preinitLoop empties
// its pool). Guarded by preinitState.mu.
func (e *Engine) diedLocked(p *stemPool, li *lambda.Instance) bool {
	if time.Since(li.CreatedAt) >= genericMinLife {
		p.quickDeaths = 0
	} else {
		p.quickDeaths++
	}
	return p.quickDeaths <= e.preinitSize(p.size) && e.Clock.Now().Sub(p.used) < e.preinitIdle()
}

// genericDied logs the death of a generic instance taken out of p,
// removes its container, gives its slot back and refills p.
func (e *Engine) genericDied(p *stemPool, d deadGeneric) {
	e.Logger.Warn("pre-initialized instance exited while it waited; removed from its pool", "runtime", p.spec.Runtime,
		"image", p.spec.Image, "container", short(d.li.ID), "exit_code", d.exit.ExitCode, "oom", d.exit.OOMKilled, "refill", d.refill)
	started := e.background(func(ctx context.Context) {
		e.stopContainer(d.li.ID)
		e.releaseSlot()
		if d.refill && ctx.Err() == nil {
			e.refillPreinit(p)
		}
	})
	if !started {
		// The engine is closed: a restarted server removes the container
		// (reconcile removes every lambda.preinit container).
		e.releaseSlot()
	}
}
