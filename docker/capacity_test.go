package docker

import (
	"context"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestDriverCapacity: the local engine's capacity is the configured host
// cap, or the default, and asks nothing of the daemon.
func TestDriverCapacity(t *testing.T) {
	tests := []struct {
		max, want int
	}{
		{0, lambda.DefaultHostCapacity},
		{7, 7},
	}
	for _, tt := range tests {
		d, err := NewHost("tcp://192.0.2.1:2375") // TEST-NET: nothing answers
		if err != nil {
			t.Fatal(err)
		}
		d.MaxInstances = tt.max
		if n, err := d.Capacity(context.Background()); n != tt.want || err != nil {
			t.Errorf("MaxInstances %d: Capacity = %d, %v; want %d", tt.max, n, err, tt.want)
		}
		d.Close()
	}
}
