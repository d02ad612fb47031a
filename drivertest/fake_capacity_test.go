package drivertest

import (
	"context"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestFakeCapacity: the Fake answers what SetCapacity set (the default
// without it) and fails while down, as a cluster's driver would.
func TestFakeCapacity(t *testing.T) {
	tests := []struct {
		name string
		set  int
		down bool
		want int
		code string
	}{
		{"default", 0, false, lambda.DefaultHostCapacity, ""},
		{"set", 6, false, 6, ""},
		{"down", 6, true, 0, lambda.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFake()
			f.SetCapacity(tt.set)
			f.SetDown(tt.down)
			n, err := f.Capacity(context.Background())
			if n != tt.want || lambda.ErrorCode(err) != tt.code {
				t.Errorf("Capacity = %d, %v; want %d, code %q", n, err, tt.want, tt.code)
			}
		})
	}
}
