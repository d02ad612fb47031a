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

// Labels a handler function's image inherits from its runtime image
// (runtimes/probe.go, runtimes/publish.go): the runtime image's tag and
// the base image it was built on.
const (
	labelRuntimeRole = "lambda.role"
	labelRuntimeRef  = "lambda.image"
	labelRuntimeBase = "lambda.base-id"
)

// preinitState is the engine's pools and the code of versions, ready to
// send; guarded by mu.
type preinitState struct {
	mu    sync.Mutex
	pools map[string]*stemPool  // by runtime image tag
	kinds map[string]*imageKind // by function image ID
	loop  sync.Once
}

// stemPool holds one runtime image's ready generic instances.
type stemPool struct {
	runtime  string
	image    string // the runtime image's tag
	base     string // its base image ID: functions built on another base do not fit
	ready    []*lambda.Instance
	starting int
	used     time.Time
}

// imageKind is what a function image tells about pre-initialization,
// learnt once per image: the runtime image it was built on ("" none) and
// its code, exported in the background.
type imageKind struct {
	runtime, image, base, root string
	code                       []byte // nil until exported
	exporting, failed          bool   // guarded by preinitState.mu
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
	if !ok || v.Config.Protocol != lambda.ProtocolHandler || e.Preinit.Size <= 0 && len(e.Preinit.Sizes) == 0 {
		return nil, false
	}
	kind := e.imageKind(ctx, v)
	if kind == nil || e.preinitSize(kind.runtime) <= 0 {
		return nil, false
	}
	s := &e.preinit
	s.mu.Lock()
	p := s.pools[kind.image]
	if p == nil {
		p = &stemPool{runtime: kind.runtime, image: kind.image, base: kind.base}
		s.pools[kind.image] = p
	}
	p.used = e.Clock.Now()
	if kind.failed {
		s.mu.Unlock()
		return nil, false
	}
	var li *lambda.Instance
	if kind.code != nil && p.base == kind.base && len(p.ready) > 0 {
		li = p.ready[0]
		p.ready = p.ready[1:]
	}
	export := kind.code == nil && !kind.exporting
	kind.exporting = kind.exporting || export
	s.mu.Unlock()
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

// imageKind inspects v's image once: handler functions built on a
// runtime image say which.
func (e *Engine) imageKind(ctx context.Context, v *lambda.Version) *imageKind {
	s := &e.preinit
	s.mu.Lock()
	if s.kinds == nil {
		s.kinds, s.pools = map[string]*imageKind{}, map[string]*stemPool{}
	}
	k, ok := s.kinds[v.ImageID]
	s.mu.Unlock()
	if ok {
		return usable(k)
	}
	img, err := e.Images.InspectImage(ctx, v.ImageID)
	if err != nil {
		return nil // not remembered: the next start asks again
	}
	k = &imageKind{}
	if img.Labels[labelRuntimeRole] == "runtime" && img.Labels[labelRuntimeRef] != "" {
		k.runtime, k.image, k.base = v.Config.Runtime, img.Labels[labelRuntimeRef], img.Labels[labelRuntimeBase]
		k.root = "/var/task"
		for _, kv := range img.Env {
			if len(kv) > len("LAMBDA_TASK_ROOT=") && kv[:len("LAMBDA_TASK_ROOT=")] == "LAMBDA_TASK_ROOT=" {
				k.root = kv[len("LAMBDA_TASK_ROOT="):]
			}
		}
	}
	s.mu.Lock()
	if prev, ok := s.kinds[v.ImageID]; ok {
		k = prev
	} else {
		s.kinds[v.ImageID] = k
	}
	s.mu.Unlock()
	return usable(k)
}

func usable(k *imageKind) *imageKind {
	if k.image == "" {
		return nil
	}
	return k
}

// exportCode reads the task root out of the function's image, once.
func (e *Engine) exportCode(ctx context.Context, d lambda.PreinitDriver, imageID string, k *imageKind) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	code, err := readCode(ctx, d, imageID, k.root)
	s := &e.preinit
	s.mu.Lock()
	defer s.mu.Unlock()
	k.exporting = false
	if err != nil {
		e.Logger.Warn("cannot read a function's code for pre-initialized instances; its cold starts start containers", "image", short(imageID), "err", err)
		k.failed = true // not tried again for this image
		return
	}
	k.code = code
	// The code of every image used since the server started stays in
	// memory; past maxPreinitCodeTotal the others' is dropped, and read
	// again at their next start.
	total := 0
	for _, other := range s.kinds {
		total += len(other.code)
	}
	for _, other := range s.kinds {
		if total <= maxPreinitCodeTotal {
			break
		}
		if other != k && other.code != nil {
			total -= len(other.code)
			other.code = nil
		}
	}
}

// refillPreinit starts generic instances until p holds its size, in the
// background; a pool whose runtime was not used for Idle is emptied.
func (e *Engine) refillPreinit(p *stemPool) {
	s := &e.preinit
	s.loop.Do(func() { e.background(e.preinitLoop) })
	s.mu.Lock()
	n := e.preinitSize(p.runtime) - len(p.ready) - p.starting
	if n <= 0 {
		s.mu.Unlock()
		return
	}
	p.starting += n
	s.mu.Unlock()
	d, _ := e.preinitDriver()
	for range n {
		ok := e.background(func(ctx context.Context) {
			li, err := e.startGeneric(ctx, d, p)
			s.mu.Lock()
			defer s.mu.Unlock()
			p.starting--
			if err != nil {
				e.Logger.Warn("cannot start a pre-initialized instance", "runtime", p.runtime, "image", p.image, "err", err)
				return
			}
			p.ready = append(p.ready, li)
		})
		if !ok {
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
	li, err := d.StartPreinit(cctx, p.runtime, p.image)
	if err == nil {
		e.owned.Store(li.ID, true)
	}
	e.starts.RUnlock()
	if err != nil {
		return nil, err
	}
	if err := dialUntil(cctx, initAddr(li)); err != nil {
		e.stopContainer(li.ID)
		return nil, err
	}
	return li, nil
}

// preinitLoop empties the pools of runtimes unused for Idle, and all of
// them when the engine closes: no server would give their containers
// away.
func (e *Engine) preinitLoop(ctx context.Context) {
	idle := e.Preinit.Idle
	if idle <= 0 {
		idle = DefaultPreinitIdle
	}
	for {
		select {
		case <-ctx.Done():
			e.stopGeneric(func(*stemPool) bool { return true })
			return
		case <-e.Clock.After(min(idle/4, time.Minute)):
		}
		now := e.Clock.Now()
		e.stopGeneric(func(p *stemPool) bool { return now.Sub(p.used) >= idle })
	}
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
	}
}

// initAddr is where a generic instance takes its init.
func initAddr(li *lambda.Instance) string {
	host, _, _ := net.SplitHostPort(li.Addr)
	return net.JoinHostPort(host, strconv.Itoa(lambda.PreinitInitPort))
}

// dialUntil dials addr every few milliseconds until it accepts or ctx ends.
func dialUntil(ctx context.Context, addr string) error {
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
	if kind == nil {
		return 0, nil
	}
	s := &e.preinit
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pools[kind.image]
	if p == nil || kind.code == nil || kind.failed || p.base != kind.base {
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
