package engine

import (
	"context"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// Pre-initialized runtime instances (OpenWhisk's stem cells): for each
// runtime image in use, a few generic containers run its shim with no
// function code (LAMBDA_PREINIT=1). A cold start of a function built on
// that image takes one, applies the function's limits (docker update) and
// sends its code and environment in the one init the shim accepts
// (preinit_init.go); the container is the function's from then on, and a
// background start replaces it. Labels cannot change, so which function a
// generic container went to is known only here: a restarted server
// removes every container labelled lambda.preinit (reconcile: it carries
// no function label, so it is never adopted).

// PreinitConfig sizes the pools of generic instances.
type PreinitConfig struct {
	// Size is how many generic instances each runtime image used in the
	// last Idle keeps ready; 0 disables them.
	Size int
	// Sizes overrides Size per runtime (python, node).
	Sizes map[string]int
	// Idle is how long a runtime image keeps its pool after its last
	// start (DefaultPreinitIdle when 0).
	Idle time.Duration
}

// DefaultPreinitSize and DefaultPreinitIdle: 2 for a runtime used in the
// last hour, 0 otherwise.
const (
	DefaultPreinitSize = 2
	DefaultPreinitIdle = time.Hour
)

// preinitState is the engine's pools and the code of versions, ready to
// send; guarded by mu.
type preinitState struct {
	mu    sync.Mutex
	pools map[string]*stemPool  // by imageKind.pool
	kinds map[string]*imageKind // by function image ID
	loop  sync.Once
	// initAddr is where a generic instance takes its init (the address's
	// host, PreinitInitPort); tests point it at a stand-in shim.
	initAddr func(*lambda.Instance) string
	// closed is set when the engine closes and the pools are emptied
	// (preinitLoop): a start that ends after it stops its container
	// instead of joining a pool nobody will empty again — one left a
	// generic container behind after a lambda bench run.
	closed bool
}

// stemPool holds one runtime image's ready generic instances.
type stemPool struct {
	size     string // the runtime its size is configured by
	spec     lambda.PreinitSpec
	base     string // a runtime image's base image ID: functions built on another base do not fit
	ready    []*lambda.Instance
	starting int
	used     time.Time
	// quickDeaths counts the generic instances in a row that died soon
	// after their start (preinit_exits.go).
	quickDeaths int
}

// maxPreinitCode bounds the code of one version kept in memory to send,
// maxPreinitCodeTotal that of all.
const (
	maxPreinitCode      = 64 << 20
	maxPreinitCodeTotal = 256 << 20
)

func (e *Engine) preinitDriver() (lambda.PreinitDriver, bool) {
	d, ok := e.Driver.(lambda.PreinitDriver)
	return d, ok && e.Images != nil
}

func (e *Engine) preinitSize(runtime string) int {
	if n, ok := e.Preinit.Sizes[runtime]; ok {
		return n
	}
	return e.Preinit.Size
}

// fromPreinit starts spec's instance of v from a generic instance of its
// runtime image when one is ready and v's code is at hand; false: start
// it the regular way. Either way the runtime counts as used, the pool is
// refilled and v's code exported for the next start.
func (e *Engine) fromPreinit(ctx context.Context, v *lambda.Version, spec lambda.InstanceSpec, timeout time.Duration) (*instance, bool) {
	d, ok := e.preinitDriver()
	if !ok || e.Preinit.Size <= 0 && len(e.Preinit.Sizes) == 0 {
		return nil, false
	}
	kind := e.imageKind(ctx, v)
	if kind == nil || e.preinitSize(kind.size) <= 0 || !kind.fits(v.Config) {
		return nil, false
	}
	s := &e.preinit
	s.mu.Lock()
	p := s.pools[kind.pool]
	if p == nil {
		p = &stemPool{size: kind.size, spec: kind.spec, base: kind.base}
		s.pools[kind.pool] = p
	}
	now := e.Clock.Now()
	p.used = now
	var li *lambda.Instance
	var dead []deadGeneric
	if kind.code != nil && p.base == kind.base {
		li, dead = e.takeLiveLocked(p)
	}
	if li != nil {
		// The function's start holds a slot of its own.
		e.releaseSlot()
	}
	export := kind.exportDue(now)
	kind.exporting = kind.exporting || export
	s.mu.Unlock()
	for _, d := range dead {
		e.genericDied(p, d)
	}
	e.refillPreinit(p)
	if export {
		e.background(func(ctx context.Context) { e.exportCode(ctx, d, v.ImageID, kind) })
	}
	if li == nil {
		return nil, false
	}
	in, err := e.initPreinit(ctx, d, li, v, spec, kind.code, timeout)
	if err != nil {
		e.Logger.Warn("pre-initialized instance failed its init; starting the regular way", "function", v.Function, "version", v.Number, "container", short(li.ID), "err", err)
		e.stopContainer(li.ID)
		return nil, false
	}
	return in, true
}

// refillPreinit starts generic instances until p holds its size, in the
// background, each counted against the host-wide cap; a pool whose
// runtime was not used for Idle is emptied.
func (e *Engine) refillPreinit(p *stemPool) {
	s := &e.preinit
	s.loop.Do(func() { e.background(e.preinitLoop) })
	s.mu.Lock()
	n := e.preinitSize(p.size) - len(p.ready) - p.starting
	if n <= 0 || s.closed {
		s.mu.Unlock()
		return
	}
	p.starting += n
	s.mu.Unlock()
	d, _ := e.preinitDriver()
	for range n {
		if !e.trySlot() {
			s.mu.Lock()
			p.starting--
			s.mu.Unlock()
			continue
		}
		started := e.background(func(ctx context.Context) {
			li, err := e.startGeneric(ctx, d, p)
			s.mu.Lock()
			p.starting--
			// An exit heard before the instance is in the pool is not
			// looked for there again (dropGeneric).
			if err == nil && !e.exits.exited(li.ID) && !s.closed {
				p.ready = append(p.ready, li)
				s.mu.Unlock()
				e.Logger.Debug("pre-initialized instance waiting", "runtime", p.spec.Runtime, "container", short(li.ID))
				return
			}
			closed := s.closed
			s.mu.Unlock()
			if err == nil {
				e.stopContainer(li.ID) // exited, or started as the engine closed
				if !closed {
					err = errGenericExited
				}
			}
			e.releaseSlot()
			if err != nil {
				e.Logger.Warn("cannot start a pre-initialized instance", "runtime", p.spec.Runtime, "image", p.spec.Image, "err", err)
			}
		})
		if !started {
			e.releaseSlot()
			s.mu.Lock()
			p.starting--
			s.mu.Unlock()
		}
	}
}

// startGeneric starts one generic instance of p's image and waits until
// its shim takes inits.
func (e *Engine) startGeneric(ctx context.Context, d lambda.PreinitDriver, p *stemPool) (*lambda.Instance, error) {
	cctx, cancel := context.WithTimeout(ctx, containerStartTimeout)
	defer cancel()
	e.starts.RLock()
	li, err := d.StartPreinit(cctx, p.spec)
	if err == nil {
		e.owned.Store(li.ID, true)
	}
	e.starts.RUnlock()
	if err != nil {
		return nil, err
	}
	if err := dialUntil(cctx, e.initAddr(li), func() bool { return e.exits.exited(li.ID) }); err != nil {
		e.stopContainer(li.ID)
		return nil, err
	}
	return li, nil
}

// preinitLoop empties the pools of runtimes unused for Idle, and all of
// them when the engine closes: no server would give their containers
// away.
func (e *Engine) preinitLoop(ctx context.Context) {
	idle := e.preinitIdle()
	for {
		select {
		case <-ctx.Done():
			e.preinit.mu.Lock()
			e.preinit.closed = true
			e.preinit.mu.Unlock()
			e.stopGeneric(func(*stemPool) bool { return true })
			return
		case <-e.Clock.After(min(idle/4, time.Minute)):
		}
		now := e.Clock.Now()
		e.stopGeneric(func(p *stemPool) bool { return now.Sub(p.used) >= idle })
	}
}

// preinitIdle is how long a runtime keeps its pool after its last start.
func (e *Engine) preinitIdle() time.Duration {
	if e.Preinit.Idle <= 0 {
		return DefaultPreinitIdle
	}
	return e.Preinit.Idle
}

// takeGenericSlot stops a waiting generic instance, of the pool used
// least recently, and hands its slot of the capacity to the caller; false
// when none waits.
func (e *Engine) takeGenericSlot() bool {
	s := &e.preinit
	s.mu.Lock()
	var from *stemPool
	for _, p := range s.pools {
		if len(p.ready) > 0 && (from == nil || p.used.Before(from.used)) {
			from = p
		}
	}
	if from == nil {
		s.mu.Unlock()
		return false
	}
	li := from.ready[len(from.ready)-1]
	from.ready = from.ready[:len(from.ready)-1]
	s.mu.Unlock()
	// In the background, as the caller may hold its pool's lock, but as
	// a task Close waits for: a bare goroutine could be cut off by the
	// process's exit right after Close (lambda bench), container running.
	if !e.background(func(context.Context) { e.stopContainer(li.ID) }) {
		go e.stopContainer(li.ID) // closed: nothing waits any more
	}
	return true
}

func (e *Engine) stopGeneric(which func(*stemPool) bool) {
	s := &e.preinit
	s.mu.Lock()
	var stop []*lambda.Instance
	for _, p := range s.pools {
		if which(p) {
			stop = append(stop, p.ready...)
			p.ready = nil
		}
	}
	s.mu.Unlock()
	for _, li := range stop {
		e.stopContainer(li.ID)
		e.releaseSlot()
	}
}

// initAddr is where a generic instance takes its init.
func (e *Engine) initAddr(li *lambda.Instance) string {
	if e.preinit.initAddr != nil {
		return e.preinit.initAddr(li)
	}
	host, _, _ := net.SplitHostPort(li.Addr)
	return net.JoinHostPort(host, strconv.Itoa(lambda.PreinitInitPort))
}

// dialUntil dials addr every few milliseconds until it accepts, ctx ends
// or its container exited: a start that died is not waited for until the
// timeout.
func dialUntil(ctx context.Context, addr string, exited func() bool) error {
	var d net.Dialer
	backoff := time.Millisecond
	for {
		dctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
		c, err := d.DialContext(dctx, "tcp", addr)
		cancel()
		if err == nil {
			c.Close()
			return nil
		}
		if exited() {
			return errGenericExited
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Millisecond)
	}
}

// PreinitReady reports how many generic instances could take a cold start
// of function's active version now: its code read, instances of its
// runtime image waiting. 0 for a function that has none.
func (e *Engine) PreinitReady(ctx context.Context, function string) (int, error) {
	if _, ok := e.preinitDriver(); !ok {
		return 0, nil
	}
	fn, err := e.Store.FindFunction(ctx, function)
	if err != nil || fn.Active == nil {
		return 0, err
	}
	kind := e.imageKind(ctx, fn.Active)
	if kind == nil || !kind.fits(fn.Active.Config) {
		return 0, nil
	}
	s := &e.preinit
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pools[kind.pool]
	if p == nil || kind.code == nil || p.base != kind.base {
		return 0, nil
	}
	return len(p.ready), nil
}

// ownerOf fills in the function of a generic instance given away (its
// labels name none) from the engine's own account; one not given away
// stays without.
func (e *Engine) ownerOf(c *lambda.Instance) {
	if c.Function != "" {
		return
	}
	if v, ok := e.live.Load(c.ID); ok {
		in := v.(*instance)
		c.Function, c.Version = in.Function, in.Version
	}
}
