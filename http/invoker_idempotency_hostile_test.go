package http

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// A caller that goes away once its event was sent (a client timing out,
// then retrying with the same key: the case the key exists for) does not
// free the key: the invocation runs to its end, a repeat meanwhile is 409,
// and afterwards the stored answer is replayed. The function runs once.
func TestInvokerIdempotentCallerGone(t *testing.T) {
	f := newInvokerFixture(t, 10*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	type answer struct {
		res *lambda.InvokeResult
		err error
	}
	first := make(chan answer, 1)
	go func() {
		res, err := f.iv.Invoke(ctx, &lambda.InvokeRequest{Function: "greet", Payload: event("block"), IdempotencyKey: "gone", RequestID: "first-id"})
		first <- answer{res, err}
	}()
	<-f.fn.started
	// The version was committed before the event left: a crash now keeps
	// the key bound (sqlite RequeueRunning).
	if j, err := f.jobs.FindJob(context.Background(), "first-id"); err != nil || j.Version != 7 || j.Status != lambda.StatusRunning {
		t.Fatalf("job while the function runs: %+v %v; want running with version 7", j, err)
	}
	cancel()
	repeat := func() answer {
		done := make(chan answer, 1)
		go func() {
			res, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event("block"), IdempotencyKey: "gone"})
			done <- answer{res, err}
		}()
		select {
		case a := <-done:
			return a
		case <-time.After(2 * time.Second):
			close(f.fn.release)
			t.Fatal("the repeat ran the function again")
			return answer{}
		}
	}
	time.Sleep(50 * time.Millisecond) // the first call's cancellation has landed, if it is to
	var ref *invocationRef
	if a := repeat(); lambda.ErrorCode(a.err) != lambda.ECONFLICT || !errors.As(a.err, &ref) || ref.id != "first-id" {
		t.Fatalf("repeat while the first runs, its caller gone: %+v %v; want 409 naming first-id", a.res, a.err)
	}
	close(f.fn.release)
	if a := <-first; a.err != nil || string(a.res.Payload) != `{"blocked":true}` {
		t.Errorf("the first call, its caller gone: %+v %v; want the function's answer", a.res, a.err)
	}
	a := repeat()
	if a.err != nil || !a.res.Replayed || a.res.Invocation.ID != "first-id" || string(a.res.Payload) != `{"blocked":true}` {
		t.Errorf("repeat after the first ended: %+v %v; want its answer replayed", a.res, a.err)
	}
	if n := len(f.fn.seen()); n != 1 {
		t.Errorf("the function ran %d times, want 1", n)
	}
}

// A caller gone before its event was sent leaves nothing that ran: the
// key is free again, and the next call runs.
func TestInvokerIdempotentGoneBeforeSent(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.iv.Invoke(ctx, &lambda.InvokeRequest{Function: "greet", Payload: event(""), IdempotencyKey: "early"}); !isCanceled(err) {
		t.Fatalf("call of a caller already gone: %v, want canceled", err)
	}
	if n := len(f.fn.seen()); n != 0 {
		t.Fatalf("the function ran %d times for a caller already gone", n)
	}
	res, err := f.iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: event(""), IdempotencyKey: "early"})
	if err != nil || res.Replayed || len(f.fn.seen()) != 1 {
		t.Errorf("next call: %+v %v; want a run", res, err)
	}
}

// No event is {} on every direct path, as on Lambda and as an async
// submission: the function gets {}, and an empty body, white space and {}
// are one payload for an idempotency key.
func TestInvokerEmptyEvent(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	for _, body := range []string{"", " \n\t"} {
		w := f.invokeHTTP("POST", "localhost", "/v1/functions/greet/invoke", body, nil)
		if w.Code != 200 || w.Body.String() != "{}" {
			t.Errorf("body %q without key: %d %q, want the function to get {}", body, w.Code, w.Body)
		}
	}
	w := f.invokeHTTP("POST", "localhost", "/v1/functions/greet/invoke", "", map[string]string{HeaderIdempotencyKey: "empty"})
	if w.Code != 200 {
		t.Fatalf("empty body with a key: %d %s", w.Code, w.Body)
	}
	id := w.Header().Get(HeaderRequestID)
	j, err := f.jobs.FindJob(context.Background(), id)
	sum := sha256.Sum256([]byte("{}"))
	if err != nil || j.PayloadHash != hex.EncodeToString(sum[:]) || string(j.Payload) != "{}" {
		t.Errorf("job of an empty body: %+v %v; want the payload {} and its hash, as async keeps it", j, err)
	}
	for _, body := range []string{" ", "{}"} {
		w := f.invokeHTTP("POST", "localhost", "/v1/functions/greet/invoke", body, map[string]string{HeaderIdempotencyKey: "empty"})
		if w.Code != 200 || w.Header().Get(HeaderIdempotentReplay) != "true" || w.Header().Get(HeaderRequestID) != id {
			t.Errorf("repeat with body %q: %d %v %s; want the replay of %s", body, w.Code, w.Header(), w.Body, id)
		}
	}
	if n := len(f.fn.seen()); n != 3 {
		t.Errorf("the function ran %d times, want 3", n)
	}
}

// What the Idempotency-Key header and a keyed payload may be, through
// the handler: a refusal runs nothing and says what to do.
func TestInvokeIdempotencyKeyRefusals(t *testing.T) {
	tests := []struct {
		name   string
		keys   []string
		body   string
		status int
		msgHas string
	}{
		{"two keys", []string{"a", "b"}, "{}", 400, "2 Idempotency-Key headers: send one"},
		{"two equal keys", []string{"a", "a"}, "{}", 400, "2 Idempotency-Key headers"},
		// A client whose key variable was unset asked for a key all the
		// same: run without one, its retry would run the function again.
		{"empty key", []string{""}, "{}", 400, "Idempotency-Key is empty"},
		{"257 characters", []string{strings.Repeat("k", 257)}, "{}", 400, "257 characters long, over the limit of 256"},
		{"256 two-byte characters", []string{strings.Repeat("é", 256)}, "{}", 200, ""},
		{"257 two-byte characters", []string{strings.Repeat("é", 257)}, "{}", 400, "257 characters long"},
		{"a tab inside", []string{"a\tb"}, "{}", 400, "control character (U+0009)"},
		{"invalid UTF-8 key", []string{"a\xffb"}, "{}", 400, "not valid UTF-8"},
		{"payload not UTF-8", []string{"k"}, "\"caf\xe9\"", 400, "JSON in UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newInvokerFixture(t, time.Second)
			req := httptest.NewRequest("POST", "/v1/functions/greet/invoke", strings.NewReader(tt.body))
			req.Host = "localhost"
			for _, k := range tt.keys {
				req.Header.Add(HeaderIdempotencyKey, k)
			}
			w := httptest.NewRecorder()
			f.s.Handler().ServeHTTP(w, req)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.msgHas) {
				t.Errorf("%d %s, want %d with %q", w.Code, w.Body, tt.status, tt.msgHas)
			}
			if n := len(f.fn.seen()); tt.status != 200 && n != 0 {
				t.Errorf("the function ran %d times", n)
			}
		})
	}
}

// Another payload with a key is refused naming the key's invocation in
// X-Lambda-Invocation-Id, as a 409 is.
func TestInvokeIdempotencyOtherPayloadNamesInvocation(t *testing.T) {
	f := newInvokerFixture(t, time.Second)
	key := map[string]string{HeaderIdempotencyKey: "k"}
	w := f.invokeHTTP("POST", "localhost", "/v1/functions/greet/invoke", `{"a":1}`, key)
	first := w.Header().Get(HeaderRequestID)
	if w.Code != 200 || first == "" {
		t.Fatalf("first call: %d %v", w.Code, w.Header())
	}
	w = f.invokeHTTP("POST", "localhost", "/v1/functions/greet/invoke", `{"a":2}`, key)
	if w.Code != 422 || w.Header().Get(HeaderInvocationID) != first {
		t.Errorf("another payload: %d, %s %q; want 422 naming %s", w.Code, HeaderInvocationID, w.Header().Get(HeaderInvocationID), first)
	}
}

// ownerAsync refuses every keyed submission as the store does a key used
// with another payload.
type ownerAsync struct{ *fakeAsync }

func (o ownerAsync) Submit(_ context.Context, req *lambda.InvokeRequest) (*lambda.Job, bool, error) {
	return nil, false, &lambda.Error{Code: lambda.EIDEMPOTENCY, Message: "idempotency key was used with another payload", Err: &lambda.KeyOwner{ID: "owner-id"}}
}

func TestSubmitInvocationOtherPayloadNamesInvocation(t *testing.T) {
	s, async := newAsyncServer(t)
	s.Async = ownerAsync{async}
	req := httptest.NewRequest("POST", "/v1/functions/greet/invocations", strings.NewReader(`{"a":2}`))
	req.Header.Set(HeaderIdempotencyKey, "k")
	rec := serve(s, req)
	if rec.Code != 422 || rec.Header().Get(HeaderInvocationID) != "owner-id" {
		t.Errorf("async, another payload: %d %v; want 422 naming owner-id", rec.Code, rec.Header())
	}
}

// An async payload must be UTF-8: json.Valid alone lets other bytes
// through inside strings, and the record would echo them back.
func TestSubmitInvocationNotUTF8(t *testing.T) {
	s, async := newAsyncServer(t)
	req := httptest.NewRequest("POST", "/v1/functions/greet/invocations", strings.NewReader("{\"k\":\"caf\xe9\"}"))
	rec := serve(s, req)
	if e := errorOf(t, rec); rec.Code != 400 || !strings.Contains(e.Message, "not valid UTF-8") {
		t.Errorf("payload not UTF-8: %d %+v", rec.Code, e)
	}
	if n, _ := async.counts(); n != 0 {
		t.Errorf("%d submissions reached the queue", n)
	}
}
