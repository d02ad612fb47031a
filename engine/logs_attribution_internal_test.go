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
	// The rest begins past one's grace (attributionGrace, 250 ms).
	const b = 400
	s2 := a.begin("two", "", ms(b)) // overlaps three
	s3 := a.begin("three", "", ms(b+10))
	a.end(s2, ms(b+50))
	a.end(s3, ms(b+100))
	s4 := a.begin("four", "", ms(b+150))
	a.end(s4, ms(b+160))
	s5 := a.begin("five", "", ms(b+162)) // starts within four's grace
	a.end(s5, ms(b+180))
	s6 := a.begin("six", "", ms(b+182))
	a.end(s6, ms(b+184))
	a.begin("running", "", ms(b+200))
	for _, tc := range []struct {
		at   int
		want string
	}{
		{-1, ""},             // before any request
		{5, "one"},           // alone
		{40, "one"},          // after its answer: Docker read the line late
		{200, "one"},         // later still, within the grace (lags of 95 ms were seen)
		{300, ""},            // between requests, past the grace
		{b + 5, "two"},       // two alone so far
		{b + 20, ""},         // two and three overlap
		{b + 70, "three"},    // three alone again
		{b + 161, "four"},    // just after four, before five
		{b + 163, "five"},    // five holds it: four's grace does not count
		{b + 186, "six"},     // after five and six: the one that ended last
		{b + 300, "running"}, // a request still in progress
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
	a.begin("two", "trace-two", t0.Add(400*time.Millisecond))
	for _, tc := range []struct {
		at        time.Duration
		id, trace string
	}{
		{5 * time.Millisecond, "one", "trace-one"},
		{20 * time.Millisecond, "one", "trace-one"}, // read late
		{300 * time.Millisecond, "", ""},            // past the grace
		{450 * time.Millisecond, "two", "trace-two"},
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
