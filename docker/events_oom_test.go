package docker

import (
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestOOMPairing: a container's oom and die events come in either order;
// a die by SIGKILL followed by its oom event is corrected by a second,
// OOMKilled exit (the ordering that made TestOutOfMemory flake).
func TestOOMPairing(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	type step struct {
		oom  bool // an oom event; else a die with code
		code int
		at   time.Duration
		want *lambda.Exit // what the pump sends (nil: nothing)
	}
	killed := func(oom bool) *lambda.Exit { return &lambda.Exit{ID: "c1", ExitCode: 137, OOMKilled: oom} }
	tests := []struct {
		name  string
		steps []step
	}{
		{"oom then die", []step{{oom: true}, {code: 137, want: killed(true)}}},
		{"die then oom", []step{{code: 137, want: killed(false)}, {oom: true, at: 5 * time.Millisecond, want: killed(true)}}},
		{"die then a second oom", []step{{code: 137, want: killed(false)}, {oom: true, want: killed(true)}, {oom: true}}},
		{"oom long after the die", []step{{code: 137, want: killed(false)}, {oom: true, at: oomLateness + time.Second}}},
		{"die of another status then oom", []step{{code: 1, want: &lambda.Exit{ID: "c1", ExitCode: 1}}, {oom: true}}},
		{"oom only", []step{{oom: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newOOMPairing()
			for i, s := range tt.steps {
				var got *lambda.Exit
				if s.oom {
					if exit, late := p.oomEvent("c1", t0.Add(s.at)); late {
						got = &exit
					}
				} else {
					// What exitOf reads, its inspect (Docker 20.10) not knowing yet.
					exit := lambda.Exit{ID: "c1", ExitCode: s.code, OOMKilled: p.dieEvent("c1")}
					p.died(exit, t0.Add(s.at))
					got = &exit
				}
				if (got == nil) != (s.want == nil) || (got != nil && *got != *s.want) {
					t.Errorf("step %d: sent %+v, want %+v", i, got, s.want)
				}
			}
		})
	}
}

// TestOOMPairingBounded: deaths never corrected and oom events never
// followed by a die do not grow the pairing's memory without bound.
func TestOOMPairingBounded(t *testing.T) {
	p := newOOMPairing()
	t0 := time.Now()
	for i := range 3 * maxOOMMemory {
		id := string(rune('a'+i%26)) + time.Duration(i).String()
		p.died(lambda.Exit{ID: id, ExitCode: 137}, t0)
		p.oomEvent("x"+id, t0)
	}
	if len(p.killed) > maxOOMMemory || len(p.early) > maxOOMMemory {
		t.Errorf("pairing holds %d deaths and %d oom events, want at most %d each", len(p.killed), len(p.early), maxOOMMemory)
	}
}
