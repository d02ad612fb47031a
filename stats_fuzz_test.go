package lambda

import (
	"testing"
	"time"
)

// FuzzLatencyUnmarshal: stored bytes decode into a histogram that survives
// a round trip, or are refused; they never panic.
func FuzzLatencyUnmarshal(f *testing.F) {
	var h LatencyHistogram
	h.Add(time.Millisecond)
	h.Add(time.Hour)
	good, _ := h.MarshalBinary()
	f.Add(good)
	f.Add([]byte{0})
	f.Add([]byte{1, 0xe0, 0x06, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var h LatencyHistogram
		if h.UnmarshalBinary(b) != nil {
			return
		}
		again, _ := h.MarshalBinary()
		var back LatencyHistogram
		if err := back.UnmarshalBinary(again); err != nil || back != h {
			t.Fatalf("% x decodes to a histogram whose encoding % x does not decode back: %v", b, again, err)
		}
	})
}
