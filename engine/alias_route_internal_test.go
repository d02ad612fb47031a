package engine

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAliasRoutePick: over many draws from a seeded source, the additional
// version gets its weight's share within four standard deviations (the
// seed makes the test deterministic, the bound keeps it honest for any
// seed), and the ends of the range are exact.
func TestAliasRoutePick(t *testing.T) {
	primary, additional := &pool{}, &pool{}
	const draws = 20000
	for _, tt := range []struct {
		weight float64
		seed   uint64
	}{{0, 1}, {0.01, 2}, {0.1, 3}, {0.5, 4}, {0.9, 5}, {1, 6}} {
		r := aliasRoute{primary: primary, additional: additional, weight: tt.weight}
		rng := rand.New(rand.NewPCG(tt.seed, 42))
		n := 0
		for range draws {
			if r.pick(rng.Float64()) == additional {
				n++
			}
		}
		mean := draws * tt.weight
		sigma := math.Sqrt(draws * tt.weight * (1 - tt.weight))
		if math.Abs(float64(n)-mean) > 4*sigma {
			t.Errorf("weight %v: %d of %d draws went to the additional version, want %.0f ± %.0f", tt.weight, n, draws, mean, 4*sigma)
		}
	}
	if got := (aliasRoute{primary: primary}).pick(0); got != primary {
		t.Error("a route without an additional version picked another pool")
	}
	if (aliasRoute{primary: primary, additional: additional}).split() {
		t.Error("a weight of 0 is a split")
	}
}

func BenchmarkAliasRoutePick(b *testing.B) {
	t := &routeTable{live: aliasRoute{primary: &pool{}, additional: &pool{}, weight: 0.1}}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = t.live.pick(rand.Float64())
		}
	})
}
