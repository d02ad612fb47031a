package engine

import (
	"testing"
	"time"
)

func TestAttributionWindows(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	var a attribution
	s1 := a.begin("one", ms(0))
	a.end(s1, ms(10))
	s2 := a.begin("two", ms(100)) // overlaps three
	s3 := a.begin("three", ms(110))
	a.end(s2, ms(150))
	a.end(s3, ms(200))
	s4 := a.begin("four", ms(250))
	a.end(s4, ms(260))
	s5 := a.begin("five", ms(262)) // starts within four's grace
	a.end(s5, ms(280))
	s6 := a.begin("six", ms(282))
	a.end(s6, ms(284))
	a.begin("running", ms(300))
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
		if got := a.at(ms(tc.at)); got != tc.want {
			t.Errorf("at %d ms: %q, want %q", tc.at, got, tc.want)
		}
	}
	// A window that left the ring is not ended by its stale sequence.
	for range attributionWindows {
		a.end(a.begin("filler", ms(1000)), ms(1001))
	}
	a.end(s1, ms(2000))
	if got := a.at(ms(5)); got != "" {
		t.Errorf("an evicted window still attributes: %q", got)
	}
}
