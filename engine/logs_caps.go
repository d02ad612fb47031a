package engine

import (
	"fmt"

	"github.com/lambdahq/lambda"
)

// maxTrackedInvocations bounds the invocations an instance's collector
// counts at once: a stdio instance runs several; an aws one, one.
const maxTrackedInvocations = 64

// invocationCaps drops the lines of an invocation past
// lambda.MaxInvocationLog, leaving one line that says so. It belongs to
// one collector goroutine.
type invocationCaps struct {
	used  map[string]int64 // bytes by invocation; -1 once cut
	order []string         // oldest first, to forget the oldest
}

// apply filters lines in place and returns what is kept.
func (c *invocationCaps) apply(lines []lambda.LogLine) []lambda.LogLine {
	if c.used == nil {
		c.used = map[string]int64{}
	}
	kept := lines[:0]
	for _, l := range lines {
		if l.Invocation == "" {
			kept = append(kept, l)
			continue
		}
		used, ok := c.used[l.Invocation]
		if !ok {
			c.track(l.Invocation)
		}
		switch {
		case used < 0: // cut already
			continue
		case used+int64(len(l.Message)) > lambda.MaxInvocationLog:
			c.used[l.Invocation] = -1
			l.Message = fmt.Sprintf("lambda: the output of invocation %s is over %d MB; the rest of it is dropped", l.Invocation, lambda.MaxInvocationLog>>20)
			l.Truncated = true
		default:
			c.used[l.Invocation] = used + int64(len(l.Message))
		}
		kept = append(kept, l)
	}
	return kept
}

func (c *invocationCaps) track(id string) {
	if len(c.order) >= maxTrackedInvocations {
		delete(c.used, c.order[0])
		c.order = c.order[1:]
	}
	c.order = append(c.order, id)
	c.used[id] = 0
}
