package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

type greetEvent struct {
	Name string `json:"name"`
}

type greetResult struct {
	Message string `json:"message"`
}

// TestHandlerShapes serves each supported handler shape through the loop.
func TestHandlerShapes(t *testing.T) {
	tests := []struct {
		name    string
		handler any
		event   string
		want    string
	}{
		{"no arguments, no results", func() {}, `{}`, `null`},
		{"error only", func() error { return nil }, `{}`, `null`},
		{"context, result", func(ctx context.Context) string {
			c, _ := FromContext(ctx)
			return c.FunctionName
		}, `{}`, `"fn"`},
		{"typed event and result", func(e greetEvent) greetResult { return greetResult{"Hello, " + e.Name + "!"} },
			`{"name":"Ada"}`, `{"message":"Hello, Ada!"}`},
		{"pointers", func(_ context.Context, e *greetEvent) (*greetResult, error) { return &greetResult{e.Name}, nil },
			`{"name":"Ada"}`, `{"message":"Ada"}`},
		{"map event", func(_ context.Context, e map[string]any) (any, error) { return e["n"], nil }, `{"n":1.5}`, `1.5`},
		{"raw event", func(e json.RawMessage) (json.RawMessage, error) { return e, nil }, `[1, 2]`, `[1,2]`},
		{"any event", func(e any) any { return e }, `"s"`, `"s"`},
		{"nil interface result", func() (any, error) { return nil, nil }, `{}`, `null`},
		{"HTML kept readable", func() string { return "<a&b>" }, `{}`, `"<a&b>"`},
		{"response", func() (Response, error) {
			return Response{StatusCode: 201, Headers: map[string]string{"X-A": "1"}, Body: "made"}, nil
		}, `{}`, `{"statusCode":201,"headers":{"X-A":"1"},"body":"made"}`},
		{"a Worker", workerFunc(func(_ context.Context, e json.RawMessage) (any, error) { return len(e), nil }), `{"a":1}`, `7`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRuntime(t)
			serveHandler(t, f, tt.handler)
			if got := f.invoke(t, tt.event).response(t); got != tt.want {
				t.Errorf("response %s, want %s", got, tt.want)
			}
		})
	}
}

type workerFunc func(context.Context, json.RawMessage) (any, error)

func (w workerFunc) Run(ctx context.Context, e json.RawMessage) (any, error) { return w(ctx, e) }

func TestContextFromEnvelope(t *testing.T) {
	got := make(chan *Context, 1)
	deadlines := make(chan time.Time, 1)
	f := newFakeRuntime(t)
	p, r := testProcess(f, map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "from-env", "AWS_LAMBDA_FUNCTION_VERSION": "9",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"})
	goRun(t, r, func() int {
		return p.start(func(ctx context.Context) {
			c, ok := FromContext(ctx)
			if !ok {
				c = nil
			}
			d, _ := ctx.Deadline()
			got <- c
			deadlines <- d
		}, nil)
	})

	deadline := time.Now().Add(time.Minute).Truncate(time.Millisecond)
	req := &Request{Method: "POST", Path: "/a/b", Headers: map[string]string{"host": "fn.localhost"},
		Query: map[string]string{"name": "World"}, Body: "aGk=", IsBase64Encoded: true}
	env := fmt.Sprintf(`{"event": {}, "context": {"function_name": "greet", "function_version": "3", "invocation_id": "inv-9",
		"deadline_ms": %d, "memory_limit_mb": 128, "request": {"method": "POST", "path": "/a/b", "headers": {"host": "fn.localhost"},
		"query": {"name": "World"}, "body": "aGk=", "isBase64Encoded": true}}}`, deadline.UnixMilli())
	f.send([]byte(env), 1).wait(t)
	c := <-got
	if c == nil {
		t.Fatal("FromContext found no Context")
	}
	if c.FunctionName != "greet" || c.FunctionVersion != "3" || c.InvocationID != "inv-9" || c.MemoryLimitMB != 128 {
		t.Errorf("context %+v", c)
	}
	if !c.Deadline.Equal(deadline) {
		t.Errorf("Deadline %v, want %v", c.Deadline, deadline)
	}
	if d := <-deadlines; !d.Equal(deadline) {
		t.Errorf("ctx.Deadline() %v, want %v", d, deadline)
	}
	if rt := c.RemainingTime(); rt <= 0 || rt > time.Minute {
		t.Errorf("RemainingTime %v", rt)
	}
	if fmt.Sprint(*c.Request) != fmt.Sprint(*req) {
		t.Errorf("Request %+v, want %+v", *c.Request, *req)
	}

	// A direct invocation without context fields: the headers and the
	// environment fill them in.
	headerDeadline := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	inv := f.send([]byte(`{"event": null, "context": {}}`), headerDeadline.UnixMilli())
	inv.wait(t)
	c = <-got
	if c.FunctionName != "from-env" || c.FunctionVersion != "9" || c.MemoryLimitMB != 512 || c.InvocationID != inv.id || c.Request != nil || c.ClientContext != nil {
		t.Errorf("context %+v", c)
	}
	if !c.Deadline.Equal(headerDeadline) || !(<-deadlines).Equal(headerDeadline) {
		t.Errorf("Deadline %v, want %v", c.Deadline, headerDeadline)
	}

	// The Lambda Invoke API's client context, as the caller sent it.
	const cc = `{"client":{"app_title":"t"},"custom":{"k":"v"},"env":{}}`
	f.sendClientContext([]byte(`{"event": {}, "context": {}}`), headerDeadline.UnixMilli(), cc).wait(t)
	<-deadlines
	if c := <-got; string(c.ClientContext) != cc {
		t.Errorf("ClientContext %s, want %s", c.ClientContext, cc)
	}

	// No deadline at all: none on ctx either.
	f.send([]byte(`{"event": {}, "context": {}}`), 0).wait(t)
	if c := <-got; !c.Deadline.IsZero() || c.RemainingTime() != 0 {
		t.Errorf("Deadline %v, RemainingTime %v; want none", c.Deadline, c.RemainingTime())
	}
	if d := <-deadlines; !d.IsZero() {
		t.Errorf("ctx has deadline %v", d)
	}
}

type myError struct{ msg string }

func (e *myError) Error() string { return e.msg }

type typedError struct{}

func (typedError) Error() string     { return "typed" }
func (typedError) ErrorType() string { return "Custom.Type" }

type tracedError struct{}

func (tracedError) Error() string        { return "traced" }
func (tracedError) StackTrace() []string { return []string{"main.f (main.go:3)"} }

func TestReturnedErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantType string
		trace    int
	}{
		{"errors.New", errors.New("no"), "errorString", 0},
		{"custom pointer", &myError{"no"}, "myError", 0},
		{"wrapped", fmt.Errorf("context: %w", &myError{"no"}), "wrapError", 0},
		{"ErrorType method", fmt.Errorf("context: %w", typedError{}), "Custom.Type", 0},
		{"StackTrace method", tracedError{}, "tracedError", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRuntime(t)
			r := serveHandler(t, f, func() error { return tt.err })
			doc := f.invoke(t, `{}`).errorDoc(t)
			if doc.Message != tt.err.Error() || doc.Type != tt.wantType || len(doc.StackTrace) != tt.trace {
				t.Errorf("error %+v, want message %q type %q and %d frames", doc, tt.err, tt.wantType, tt.trace)
			}
			// The loop goes on after an error, and logs it.
			if got := f.invoke(t, `{}`); got.kind != "error" {
				t.Errorf("second invocation: %s", got.kind)
			}
			if !strings.Contains(r.stderr.String(), tt.wantType+": "+tt.err.Error()) {
				t.Errorf("stderr %q does not log the error", r.stderr)
			}
		})
	}
}

func TestPanicIsReportedAndExits(t *testing.T) {
	tests := []struct {
		name     string
		handler  any
		wantType string
		message  string
	}{
		{"string", func() { panicky("boom") }, "string", "boom"},
		{"nil map", func() {
			var m map[string]int
			m["a"] = 1
		}, "plainError", "assignment to entry in nil map"},
		{"error value", func() { panic(&myError{"bad"}) }, "myError", "bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRuntime(t)
			r := serveHandler(t, f, tt.handler)
			doc := f.invoke(t, `{}`).errorDoc(t)
			if doc.Type != tt.wantType || doc.Message != tt.message {
				t.Errorf("error %+v, want type %q message %q", doc, tt.wantType, tt.message)
			}
			if len(doc.StackTrace) == 0 || !strings.Contains(doc.StackTrace[0], "sdk.") {
				t.Errorf("stack trace %q should start in the panicking function", doc.StackTrace)
			}
			if tt.name == "string" && !strings.Contains(doc.StackTrace[0], "sdk.panicky") {
				t.Errorf("stack trace %q should start with panicky", doc.StackTrace)
			}
			if code := r.exit(t); code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if s := r.stderr.String(); !strings.Contains(s, "panic: "+tt.message) || !strings.Contains(s, "goroutine ") {
				t.Errorf("stderr %q lacks the panic and its stack", s)
			}
		})
	}
}

func panicky(msg string) { panic(msg) }

func TestInvalidInvocations(t *testing.T) {
	f := newFakeRuntime(t)
	serveHandler(t, f, func(e any) (any, error) { return e, nil })
	doc := f.send([]byte(`{"name":"not an envelope"}`), 0).wait(t).errorDoc(t)
	if doc.Type != "Runtime.InvalidEnvelope" || !strings.Contains(doc.Message, "--protocol aws") {
		t.Errorf("not an envelope: %+v", doc)
	}
	if got := f.invoke(t, `{"ok":true}`).response(t); got != `{"ok":true}` {
		t.Errorf("after a bad envelope: %s", got)
	}
}

func TestUnencodableResults(t *testing.T) {
	f := newFakeRuntime(t)
	serveHandler(t, f, func(e map[string]string) (any, error) {
		if e["big"] != "" {
			return strings.Repeat("x", maxResponse), nil
		}
		return make(chan int), nil
	})
	if doc := f.invoke(t, `{}`).errorDoc(t); doc.Type != "Runtime.MarshalError" {
		t.Errorf("channel result: %+v", doc)
	}
	if doc := f.invoke(t, `{"big":"1"}`).errorDoc(t); doc.Type != "Function.ResponseSizeTooLarge" || !strings.Contains(doc.Message, "6 MB") {
		t.Errorf("big result: %+v", doc)
	}
}

func TestTypedEventOverHTTP(t *testing.T) {
	type event struct {
		A float64 `json:"a"`
	}
	f := newFakeRuntime(t)
	serveHandler(t, f, func(e event) float64 { return e.A * 2 })
	http := &Request{Method: "GET", Path: "/", Query: map[string]string{"a": "1.5"}}
	if got := f.send(envelopeJSON(t, `{"a":"1.5"}`, http), 0).wait(t).response(t); got != `3` {
		t.Errorf("?a=1.5: %s", got)
	}
	got := f.send(envelopeJSON(t, `{"a":"x"}`, http), 0).wait(t).response(t)
	var resp Response
	json.Unmarshal([]byte(got), &resp)
	if resp.StatusCode != 400 || !strings.Contains(resp.Body, `parameter \"a\": \"x\" is not a number`) {
		t.Errorf("?a=x: %s", got)
	}
	// A direct invocation gets no string conversion and an error.
	doc := f.invoke(t, `{"a":"1.5"}`).errorDoc(t)
	if doc.Type != "EventError" || !strings.Contains(doc.Message, "does not fit sdk.event") {
		t.Errorf("raw {\"a\":\"1.5\"}: %+v", doc)
	}
}

func TestNoRuntimeAPI(t *testing.T) {
	p, r := testProcess(nil, nil)
	if code := p.start(func() {}, nil); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if !strings.Contains(r.stderr.String(), "AWS_LAMBDA_RUNTIME_API is not set") {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestRuntimeAPIGone(t *testing.T) {
	f := newFakeRuntime(t)
	fn := &counter{}
	r := serveFunction(t, f, fn)
	f.invoke(t, `{}`)
	// A /next that arrives after the connections are closed would hold
	// Close for ever: the runtime API's going breaks it too.
	close(f.gone)
	f.srv.CloseClientConnections()
	f.srv.Close()
	if code := r.exit(t); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if fn.stops.Load() != 1 {
		t.Error("Stop was not called")
	}
	if !strings.Contains(r.stderr.String(), "cannot get the next invocation") {
		t.Errorf("stderr %q", r.stderr)
	}
}
