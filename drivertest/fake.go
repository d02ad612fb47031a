package drivertest

import (
	"context"
	"maps"
	"net/http"
	"sync"

	"github.com/lambdahq/lambda"
)

var _ lambda.Driver = (*Fake)(nil)

// Fake is an in-memory lambda.Driver for tests of the packages above the
// driver. Images are recorded from their build context; an instance is an
// in-process HTTP server on 127.0.0.1 whose address is the instance's.
// It passes the same suite (Run) as the Docker driver. Safe for concurrent
// use.
type Fake struct {
	// Handler serves every instance's requests; nil means the default
	// handler, which speaks the test server's protocol (see TestImage):
	// GET /env/NAME, GET /id, POST /write, GET /exit (the instance exits
	// with code 3) and an echo of anything else. Requests carry the headers
	// X-Drivertest-Instance, -Function and -Version. Set it before starting
	// instances, or use SetHandler while they run.
	Handler http.Handler
	// Namespace, as the Docker driver's: when set, it labels the instances
	// and images this Fake creates (lambda.server), and limits listings and
	// exit events to them. WithNamespace returns a view of the same engine
	// under another namespace, as a second server sharing it would have.
	Namespace string

	*fakeEngine
}

// fakeEngine is the state that Fakes of several namespaces share.
type fakeEngine struct {
	mu        sync.Mutex
	down      bool
	images    map[string]*FakeImage    // by ID
	tags      map[string]string        // normalized tag → image ID
	meta      map[string]*lambda.Image // by image ID: what InspectImage reports (fake_images.go)
	instances map[string]*fakeInstance
	specs     []lambda.InstanceSpec
	watchers  map[chan lambda.Exit]string // → the watcher's namespace
	logWake   chan struct{}               // closed when any instance logs or stops (fake_logs.go)
	// registriesDown holds the registry hosts a push cannot reach
	// (fake_push.go).
	registriesDown map[string]bool
	limits         map[string]lambda.InstanceLimits // by instance ID (fake_preinit.go)
	capacity       int                              // 0: lambda.DefaultHostCapacity (fake_capacity.go)
	holders        map[string]*fakeHolder           // by ID (fake_holder.go)
	// createGate, while set, holds CreateInstance until it is closed
	// (HoldCreates, fake_precreate.go); creating counts the creates in
	// flight.
	createGate chan struct{}
	creating   int
}

// FakeImage is an image the Fake built.
type FakeImage struct {
	ID     string
	Tags   []string
	Labels map[string]string
}

// NewFake returns an empty, working fake engine.
func NewFake() *Fake {
	return &Fake{fakeEngine: &fakeEngine{
		images:    map[string]*FakeImage{},
		tags:      map[string]string{},
		instances: map[string]*fakeInstance{},
		holders:   map[string]*fakeHolder{},
		watchers:  map[chan lambda.Exit]string{},
	}}
}

// WithNamespace returns a Fake on the same engine whose instances and
// images carry namespace, like a second server's driver on one Docker.
func (f *Fake) WithNamespace(namespace string) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &Fake{Handler: f.Handler, Namespace: namespace, fakeEngine: f.fakeEngine}
}

// sees reports whether something labelled namespace ns is f's, as the
// Docker driver's label filter decides.
func (f *Fake) sees(ns string) bool { return f.Namespace == "" || f.Namespace == ns }

// SetHandler replaces the handler of all instances, running ones included.
func (f *Fake) SetHandler(h http.Handler) {
	f.mu.Lock()
	f.Handler = h
	f.mu.Unlock()
}

// SetDown simulates the engine going away (true) or coming back (false).
// While down, every call fails with EUNAVAILABLE except WatchExits, which,
// like the Docker driver's, keeps its channel open. Running instances keep
// serving.
func (f *Fake) SetDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

// Specs returns the specs of every StartInstance call that reached the
// engine (valid and made while up), in order.
func (f *Fake) Specs() []lambda.InstanceSpec {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]lambda.InstanceSpec, len(f.specs))
	for i, s := range f.specs {
		s.Env = maps.Clone(s.Env)
		out[i] = s
	}
	return out
}

// Image returns the image ref (a tag or ID) names, if the Fake has it.
func (f *Fake) Image(ref string) (FakeImage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img := f.resolveLocked(ref)
	if img == nil {
		return FakeImage{}, false
	}
	return FakeImage{ID: img.ID, Tags: append([]string(nil), img.Tags...), Labels: maps.Clone(img.Labels)}, true
}

// check fails a call the way the Docker driver would if ctx has ended or
// the engine is down.
func (f *Fake) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return lambda.Errorf(lambda.EUNAVAILABLE, "Docker is unreachable at fake://drivertest: the fake engine is down; start Docker or set DOCKER_HOST")
	}
	return nil
}

// Ping fails only while the fake is down.
func (f *Fake) Ping(ctx context.Context) error { return f.check(ctx) }

// WatchExits reports instances of its namespace that exit, crash (Kill,
// OOM) or are stopped. Events a slow consumer leaves unread beyond a
// generous buffer are dropped, as the contract allows.
func (f *Fake) WatchExits(ctx context.Context) (<-chan lambda.Exit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch := make(chan lambda.Exit, 256)
	f.mu.Lock()
	f.watchers[ch] = f.Namespace
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		delete(f.watchers, ch)
		close(ch)
		f.mu.Unlock()
	}()
	return ch, nil
}

func (e *fakeEngine) notifyLocked(exit lambda.Exit, namespace string) {
	for ch, ns := range e.watchers {
		if ns != "" && ns != namespace {
			continue
		}
		select {
		case ch <- exit:
		default:
		}
	}
}
