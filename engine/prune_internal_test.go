package engine

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestStaleVersions(t *testing.T) {
	pruned := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	versions := func(numbers ...int) []*lambda.Version {
		var out []*lambda.Version
		for _, n := range numbers {
			v := &lambda.Version{Function: "f", Number: n}
			if n < 0 { // negative: already pruned
				v.Number, v.PrunedAt = -n, &pruned
			}
			out = append(out, v)
		}
		return out
	}
	tests := []struct {
		name     string
		versions []*lambda.Version
		active   int
		keep     int
		want     []int
	}{
		{"within the limit", versions(1, 2, 3), 3, 3, nil},
		{"oldest beyond the limit", versions(1, 2, 3, 4), 4, 2, []int{1, 2}},
		{"active never", versions(1, 2, 3, 4), 1, 2, []int{2}},
		{"already pruned skipped", versions(-1, 2, 3, 4), 4, 2, []int{2}},
		{"gaps count versions, not numbers", versions(1, 5, 9), 9, 2, []int{1}},
		{"unsorted input", versions(4, 1, 3, 2), 4, 3, []int{1}},
		{"keep 0 keeps all", versions(1, 2, 3), 3, 0, nil},
		{"keep 1", versions(1, 2, 3), 3, 1, []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			for _, v := range staleVersions(tt.versions, tt.keep, tt.active) {
				got = append(got, v.Number)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("stale = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSameConfig(t *testing.T) {
	base := lambda.Config{Runtime: "go", Protocol: "http", Port: 8080, MemoryBytes: 1 << 28, Timeout: lambda.Duration(time.Second), Env: map[string]string{"A": "1"}}
	with := func(f func(*lambda.Config)) lambda.Config {
		c := base
		c.Env = map[string]string{"A": "1"}
		f(&c)
		return c
	}
	tests := []struct {
		name string
		a, b lambda.Config
		want bool
	}{
		{"same", base, with(func(*lambda.Config) {}), true},
		{"empty and nil env", with(func(c *lambda.Config) { c.Env = nil }), with(func(c *lambda.Config) { c.Env = map[string]string{} }), true},
		{"env value", base, with(func(c *lambda.Config) { c.Env["A"] = "2" }), false},
		{"env added", base, with(func(c *lambda.Config) { c.Env["B"] = "" }), false},
		{"memory", base, with(func(c *lambda.Config) { c.MemoryBytes++ }), false},
		{"handler", base, with(func(c *lambda.Config) { c.Handler = "x.y" }), false},
		{"protocol", base, with(func(c *lambda.Config) { c.Protocol = "aws" }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameConfig(tt.a, tt.b); got != tt.want {
				t.Errorf("sameConfig = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckNotPruned(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := checkNotPruned(&lambda.Version{Function: "f", Number: 1}); err != nil {
		t.Fatalf("kept version refused: %v", err)
	}
	err := checkNotPruned(&lambda.Version{Function: "f", Number: 1, PrunedAt: &at})
	if lambda.ErrorCode(err) != lambda.ECONFLICT || !strings.Contains(err.Error(), "deploy its code again") {
		t.Fatalf("pruned version: %v, want a conflict telling to redeploy", err)
	}
}
