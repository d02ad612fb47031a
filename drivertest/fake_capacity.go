package drivertest

import (
	"context"

	"github.com/lambdahq/lambda"
)

// SetCapacity sets what Capacity answers, as a cluster's driver would
// change its answer when a node comes or goes; n <= 0 restores the
// default, lambda.DefaultHostCapacity.
func (f *Fake) SetCapacity(n int) {
	f.mu.Lock()
	f.capacity = n
	f.mu.Unlock()
}

// Capacity answers the capacity SetCapacity set. While the fake is down it
// fails, as a cluster's driver that cannot list its nodes does.
func (f *Fake) Capacity(ctx context.Context) (int, error) {
	if err := f.check(ctx); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.capacity > 0 {
		return f.capacity, nil
	}
	return lambda.DefaultHostCapacity, nil
}
