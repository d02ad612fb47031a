package docker

import (
	"time"

	"github.com/lambdahq/lambda"
)

// oomPairing pairs a container's oom and die events, which Docker sends
// in either order: containerd's shim publishes the task's OOM (from the
// cgroup's notification) and its exit (from the reaper) independently,
// and Docker 20.10 records State.OOMKilled only when the OOM came first.
// So a die by SIGKILL may be followed, milliseconds later, by the oom
// event that explains it, while an inspect at the die says it was not
// killed for memory. The pairing turns that late oom event into a second
// Exit of the container, OOMKilled, which consumers take as a correction
// of the first (an ID may arrive twice anyway).
type oomPairing struct {
	early  map[string]bool      // oom events not followed by a die yet
	killed map[string]time.Time // SIGKILL deaths without an oom event, when
}

// oomLateness is how long after a die a late oom event still corrects it;
// in practice it comes within milliseconds.
const oomLateness = 10 * time.Second

// maxOOMMemory bounds each of the pairing's maps: oom events of containers
// that did not die (their init survived the kill), deaths that were not
// for memory.
const maxOOMMemory = 1024

func newOOMPairing() *oomPairing {
	return &oomPairing{early: make(map[string]bool), killed: make(map[string]time.Time)}
}

// oomEvent takes an oom event of id. late is true when id already died by
// SIGKILL, reported without OOMKilled: exit is then the correction to send.
func (p *oomPairing) oomEvent(id string, now time.Time) (exit lambda.Exit, late bool) {
	if at, ok := p.killed[id]; ok {
		delete(p.killed, id)
		if now.Sub(at) <= oomLateness {
			return lambda.Exit{ID: id, ExitCode: exitStatusKilled, OOMKilled: true}, true
		}
	}
	if len(p.early) >= maxOOMMemory {
		clear(p.early)
	}
	p.early[id] = true
	return lambda.Exit{}, false
}

// dieEvent takes a die event of id and reports whether an oom event of id
// came before it.
func (p *oomPairing) dieEvent(id string) (oomSeen bool) {
	oomSeen = p.early[id]
	delete(p.early, id)
	return oomSeen
}

// died remembers an exit by SIGKILL that was not known to be for memory,
// so that an oom event arriving after it corrects it.
func (p *oomPairing) died(exit lambda.Exit, now time.Time) {
	if exit.OOMKilled || exit.ExitCode != exitStatusKilled {
		return
	}
	if len(p.killed) >= maxOOMMemory {
		for id, at := range p.killed {
			if now.Sub(at) > oomLateness {
				delete(p.killed, id)
			}
		}
		if len(p.killed) >= maxOOMMemory {
			clear(p.killed)
		}
	}
	p.killed[exit.ID] = now
}
