package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestInterleave(t *testing.T) {
	var order []string
	v := func(name string) Variant {
		return func(_ context.Context, round int) error {
			order = append(order, fmt.Sprintf("%s%d", name, round))
			return nil
		}
	}
	if err := Interleave(context.Background(), 3, v("A"), v("B")); err != nil {
		t.Fatal(err)
	}
	want := []string{"A0", "B0", "A1", "B1", "A2", "B2"}
	if !slices.Equal(order, want) {
		t.Errorf("order = %v, want %v", order, want)
	}
}

func TestInterleaveStops(t *testing.T) {
	boom := errors.New("boom")
	runs := 0
	failing := func(_ context.Context, round int) error {
		runs++
		if round == 1 {
			return boom
		}
		return nil
	}
	counting := func(context.Context, int) error { runs++; return nil }
	if err := Interleave(context.Background(), 5, counting, failing); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if runs != 4 { // A0 B0 A1 B1(fails)
		t.Errorf("%d variant runs, want 4: nothing may run after the failure", runs)
	}

	ctx, cancel := context.WithCancel(context.Background())
	runs = 0
	cancelling := func(context.Context, int) error { runs++; cancel(); return nil }
	if err := Interleave(ctx, 5, cancelling, counting); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if runs != 1 {
		t.Errorf("%d variant runs after cancel, want 1", runs)
	}
}
