package async

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	lo, hi := time.Second, 10*time.Second
	for _, tc := range []struct {
		n    int
		want time.Duration // before jitter
	}{
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{4, 8 * time.Second},
		{5, 10 * time.Second},
		{60, 10 * time.Second},
	} {
		for range 100 {
			if got := backoff(lo, hi, tc.n); got < tc.want/2 || got > tc.want {
				t.Fatalf("backoff after %d failures = %s, want %s-%s", tc.n, got, tc.want/2, tc.want)
			}
		}
	}
}
