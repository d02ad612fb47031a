package shim

import (
	"context"
	"testing"
	"time"
)

func queued(id string, d time.Duration) *invocation {
	now := time.Now()
	return &invocation{id: id, received: now, deadline: now.Add(d), done: make(chan result, 1)}
}

func TestQueueOrderAndRemoval(t *testing.T) {
	timedOut := make(chan *invocation, 1)
	q := newQueue(func(inv *invocation) { timedOut <- inv })
	a, b, c := queued("a", time.Minute), queued("b", time.Minute), queued("c", time.Minute)
	for _, inv := range []*invocation{a, b, c} {
		q.push(inv)
	}
	if !q.remove(b) || q.remove(b) {
		t.Fatal("remove should take b out once")
	}
	ctx := context.Background()
	got, _ := q.next(ctx)
	if got != a || q.running("a") != a || q.running("c") != nil {
		t.Fatalf("next = %s, want a running", got.id)
	}
	if q.remove(a) {
		t.Fatal("a running invocation cannot be removed")
	}
	if !q.complete(a, result{kind: resOK}) || q.complete(a, result{kind: resOK}) {
		t.Fatal("complete should finish a once")
	}
	if (<-a.done).kind != resOK {
		t.Fatal("a's result")
	}
	got, _ = q.next(ctx)
	if got != c {
		t.Fatalf("next = %s, want c", got.id)
	}
	// Asking for the next event gives up the unanswered one.
	q.push(queued("d", time.Minute))
	q.next(ctx)
	if res := <-c.done; res.kind != resFailure {
		t.Fatalf("unanswered c: %v", res.kind)
	}
}

func TestQueueDeadlines(t *testing.T) {
	timedOut := make(chan *invocation, 1)
	q := newQueue(func(inv *invocation) {
		if q := inv; q != nil {
			timedOut <- inv
		}
	})
	expired := queued("old", -time.Millisecond)
	q.push(expired)
	live := queued("live", 50*time.Millisecond)
	q.push(live)
	got, _ := q.next(context.Background())
	if got != live {
		t.Fatalf("next = %s, want the live one", got.id)
	}
	if res := <-expired.done; res.kind != resTimeout {
		t.Fatalf("expired while waiting: %v", res.kind)
	}
	select {
	case inv := <-timedOut:
		if inv != live {
			t.Fatal("wrong invocation timed out")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the running invocation's deadline did not fire")
	}
}

func TestQueueClose(t *testing.T) {
	q := newQueue(func(*invocation) {})
	running, waiting := queued("r", time.Minute), queued("w", time.Minute)
	q.push(running)
	q.push(waiting)
	q.next(context.Background())
	q.close(result{kind: resFailure}, result{kind: resUnavailable})
	if (<-running.done).kind != resFailure || (<-waiting.done).kind != resUnavailable {
		t.Fatal("close should fail the running and the waiting invocations")
	}
	if q.push(queued("late", time.Minute)) {
		t.Fatal("push after close")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := q.next(ctx); err == nil {
		t.Fatal("next on a closed queue should wait for its context")
	}
}
