package drivertest

import "testing"

// testCapacity: the driver tells how many instances its backend runs, a
// positive number, and the one its configuration implies when the target
// says.
func (s *suite) testCapacity(t *testing.T) {
	n, err := s.d.Capacity(testContext(t))
	switch {
	case err != nil:
		t.Fatalf("Capacity: %v", err)
	case n <= 0:
		t.Fatalf("Capacity = %d, want a positive number of instances", n)
	case s.capacity != nil:
		if want := s.capacity(t); n != want {
			t.Errorf("Capacity = %d, want %d", n, want)
		}
	}
}
