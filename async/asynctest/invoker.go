package asynctest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// Step is what the fake Invoker does on one call.
type Step func(ctx context.Context, req *lambda.InvokeRequest) (*lambda.InvokeResult, error)

// Received is a request the fake Invoker received, and when by its clock.
type Received struct {
	Request lambda.InvokeRequest
	At      time.Time
}

// Invoker is a scriptable lambda.Invoker: per function a list of steps,
// taken one per call, the last repeating. A function without a script
// succeeds. It records every request.
type Invoker struct {
	clock *FakeClock

	mu       sync.Mutex
	scripts  map[string][]Step
	received []Received
	running  map[string]int
	peak     map[string]int
	arrived  chan struct{} // closed and replaced on every request
}

var _ lambda.Invoker = (*Invoker)(nil)

// NewInvoker returns an Invoker stamping requests with clock's time.
func NewInvoker(clock *FakeClock) *Invoker {
	return &Invoker{clock: clock, scripts: map[string][]Step{}, running: map[string]int{}, peak: map[string]int{}, arrived: make(chan struct{})}
}

// On replaces function's script.
func (f *Invoker) On(function string, steps ...Step) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[function] = steps
}

// Invoke implements lambda.Invoker.
func (f *Invoker) Invoke(ctx context.Context, req *lambda.InvokeRequest) (*lambda.InvokeResult, error) {
	f.mu.Lock()
	f.received = append(f.received, Received{Request: *req, At: f.clock.Now()})
	step := Succeed(`{"ok":true}`)
	if s := f.scripts[req.Function]; len(s) > 0 {
		step = s[0]
		if len(s) > 1 {
			f.scripts[req.Function] = s[1:]
		}
	}
	f.running[req.Function]++
	f.peak[req.Function] = max(f.peak[req.Function], f.running[req.Function])
	close(f.arrived)
	f.arrived = make(chan struct{})
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running[req.Function]--
		f.mu.Unlock()
	}()
	res, err := step(ctx, req)
	if res != nil && res.Invocation == nil {
		res.Invocation = &lambda.Invocation{ID: req.RequestID, Function: req.Function, Version: 1, Trigger: req.Trigger, Start: f.clock.Now(), Attempt: req.Attempt, HTTPStatus: res.StatusCode}
	}
	return res, err
}

// Requests returns the requests function received, oldest first.
func (f *Invoker) Requests(function string) []Received {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Received
	for _, r := range f.received {
		if r.Request.Function == function {
			out = append(out, r)
		}
	}
	return out
}

// Peak returns the most requests function had in flight at once.
func (f *Invoker) Peak(function string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.peak[function]
}

// WaitRequests waits until function received at least n requests and
// returns them, failing the test after waitLimit.
func (f *Invoker) WaitRequests(t testing.TB, function string, n int) []Received {
	t.Helper()
	timeout := time.After(waitLimit)
	for {
		f.mu.Lock()
		arrived := f.arrived
		f.mu.Unlock()
		if got := f.Requests(function); len(got) >= n {
			return got
		}
		select {
		case <-arrived:
		case <-timeout:
			t.Fatalf("%s received %d requests after %s, want %d", function, len(f.Requests(function)), waitLimit, n)
			return nil
		}
	}
}

// Times repeats step n times.
func Times(n int, step Step) []Step {
	out := make([]Step, n)
	for i := range out {
		out[i] = step
	}
	return out
}

// Succeed answers 200 with body.
func Succeed(body string) Step {
	return func(_ context.Context, req *lambda.InvokeRequest) (*lambda.InvokeResult, error) {
		return &lambda.InvokeResult{StatusCode: 200, Payload: []byte(body), LogTail: []byte("ran " + req.RequestID + "\n")}, nil
	}
}

// Fail answers with a function error (Lambda's error document), as a
// handler that returned an error does.
func Fail(message string) Step {
	return func(_ context.Context, req *lambda.InvokeRequest) (*lambda.InvokeResult, error) {
		body := fmt.Sprintf(`{"errorMessage":%q,"errorType":"Error"}`, message)
		return &lambda.InvokeResult{StatusCode: 200, FunctionError: "Unhandled", Payload: []byte(body), LogTail: []byte("failing " + req.RequestID + "\n")}, nil
	}
}

// Error fails the call with an error of the given code: EFUNCTION (a
// crash), ETIMEOUT, ETHROTTLED, EUNAVAILABLE (Docker down), ENOTFOUND...
func Error(code string) Step {
	return func(context.Context, *lambda.InvokeRequest) (*lambda.InvokeResult, error) {
		return nil, lambda.Errorf(code, "fake invoker: %s", code)
	}
}

// Block waits until release is closed, then does then; when ctx ends
// first, it fails with ctx's error.
func Block(release <-chan struct{}, then Step) Step {
	return func(ctx context.Context, req *lambda.InvokeRequest) (*lambda.InvokeResult, error) {
		select {
		case <-release:
			return then(ctx, req)
		case <-ctx.Done():
			return nil, fmt.Errorf("fake invoker: %w", ctx.Err())
		}
	}
}
