package engine

import (
	"testing"
	"time"
)

func TestAttributionWindows(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	var a attribution
	s1 := a.begin("one", "", ms(0))
	a.end(s1, ms(10))
	s2 := a.begin("two", "", ms(100)) // overlaps three
	s3 := a.begin("three", "", ms(110))
	a.end(s2, ms(150))
	a.end(s3, ms(200))
	s4 := a.begin("four", "", ms(250))
	a.end(s4, ms(260))
	s5 := a.begin("five", "", ms(262)) // starts within four's grace
	a.end(s5, ms(280))
	s6 := a.begin("six", "", ms(282))
	a.end(s6, ms(284))
	a.begin("running", "", ms(300))
	for _, tc := range []struct {
		at   int
		want string
	}{
		{-1, ""},         // before any request
		{5, "one"},       // alone
		{40, "one"},      // after its answer: Docker read the line late
		{80, ""},         // between requests, past the grace
		{105, "two"},     // two alone so far
		{120, ""},        // two and three overlap
		{170, "three"},   // three alone again
		{261, "four"},    // just after four, before five
		{263, "five"},    // five holds it: four's grace does not count
		{286, "six"},     // after five and six: the one that ended last
		{400, "running"}, // a request still in progress
	} {
		if got, _ := a.at(ms(tc.at)); got != tc.want {
			t.Errorf("at %d ms: %q, want %q", tc.at, got, tc.want)
		}
	}
	// A window that left the ring is not ended by its stale sequence.
	for range attributionWindows {
		a.end(a.begin("filler", "", ms(1000)), ms(1001))
	}
	a.end(s1, ms(2000))
	if got, _ := a.at(ms(5)); got != "" {
		t.Errorf("an evicted window still attributes: %q", got)
	}
}

// A line gets the trace ID of the invocation it is attributed to; a
// framed line, which names its invocation, finds it by that name.
func TestAttributionTraces(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	var a attribution
	a.end(a.begin("one", "trace-one", t0), t0.Add(10*time.Millisecond))
	a.begin("two", "trace-two", t0.Add(100*time.Millisecond))
	for _, tc := range []struct {
		at        time.Duration
		id, trace string
	}{
		{5 * time.Millisecond, "one", "trace-one"},
		{20 * time.Millisecond, "one", "trace-one"}, // read late
		{80 * time.Millisecond, "", ""},
		{150 * time.Millisecond, "two", "trace-two"},
	} {
		if id, trace := a.at(t0.Add(tc.at)); id != tc.id || trace != tc.trace {
			t.Errorf("at %s: %q %q, want %q %q", tc.at, id, trace, tc.id, tc.trace)
		}
	}
	if got := a.traceOf("one"); got != "trace-one" {
		t.Errorf("traceOf(one) = %q", got)
	}
	if got := a.traceOf("nosuch"); got != "" {
		t.Errorf("traceOf(nosuch) = %q", got)
	}
	for range attributionWindows {
		a.begin("filler", "", t0)
	}
	if got := a.traceOf("one"); got != "" {
		t.Errorf("an evicted invocation still has a trace: %q", got)
	}
}
