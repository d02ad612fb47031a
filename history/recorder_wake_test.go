package history

import (
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// Fewer records than a batch wait for the tick: a request does not wake
// the writer (a goroutine switch, often a thread's wake-up) each time; a
// full batch does.
func TestRecorderWaitsForABatchOrTheTick(t *testing.T) {
	store := &fakeStore{}
	r := openRecorder(t, store, func(r *Recorder) { r.BatchSize, r.Interval = 4, time.Hour })
	for i := range 3 {
		r.ObserveInvocation(record(i, lambda.TriggerHTTP))
	}
	time.Sleep(30 * time.Millisecond)
	if _, n, _ := store.saved(); n != 0 {
		t.Fatalf("%d records written of 3, a batch of 4 and an hour's interval", n)
	}
	r.ObserveInvocation(record(3, lambda.TriggerHTTP))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, n, _ := store.saved(); n == 4 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a full batch was not written within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
