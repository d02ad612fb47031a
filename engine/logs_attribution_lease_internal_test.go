package engine

import (
	"fmt"
	"testing"
	"time"
)

// An http instance's lines are attributed by the windows alone: its leases
// are not remembered for frames it cannot have.
func TestUnframedAttributionRemembersNoLease(t *testing.T) {
	var a attribution
	t0 := time.Now()
	seq := a.begin("one", "trace-one", t0)
	a.end(seq, t0.Add(time.Millisecond))
	if a.leased != nil || len(a.order) != 0 || a.leasedTo("one") {
		t.Errorf("an http instance remembered its lease: %v %v", a.leased, a.order)
	}
	if id, trace := a.at(t0.Add(time.Microsecond)); id != "one" || trace != "trace-one" {
		t.Errorf("at = %q, %q; want the window's invocation and trace", id, trace)
	}
}

// BenchmarkAttributionLease is what the log attribution adds to a lease
// and its release: go test ./engine -run X -bench AttributionLease -benchmem.
func BenchmarkAttributionLease(b *testing.B) {
	ids := make([]string, 8192)
	for i := range ids {
		ids[i] = fmt.Sprintf("8f507cfc-1b2c-4697-b07a-%012d", i)
	}
	for _, framed := range []bool{false, true} {
		b.Run(fmt.Sprintf("framed=%v", framed), func(b *testing.B) {
			a := &attribution{framed: framed}
			now := time.Now()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				a.end(a.begin(ids[i%len(ids)], "", now), now)
				i++
			}
		})
	}
}
