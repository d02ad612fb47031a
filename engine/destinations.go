package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/lambdahq/lambda"
)

// destinationsMu makes a change of destinations and the check that it
// forms no loop one step: two functions set to each other at the same
// time would each pass the check. (A deploy checks its destinations before
// it builds, without it: a loop that slips through there is stopped at
// run time, after lambda.MaxDestinationDepth records.)
var destinationsMu sync.Mutex

// checkDestinations refuses destinations that patch sets on function name
// and that could never be delivered to: a function that does not exist,
// name itself, or one whose own destinations lead back to name (each
// record would queue another, without end: see destinationCycle). Only
// the destinations the patch names are checked: a destination deleted
// since it was set must not block an unrelated setting.
func (e *Engine) checkDestinations(ctx context.Context, name string, patch lambda.ScalingPatch) error {
	set := lambda.ScalingPatch{OnSuccess: patch.OnSuccess, OnFailure: patch.OnFailure}.Apply(lambda.Scaling{})
	for _, d := range set.Destinations() {
		if d.Function == name {
			return lambda.Errorf(lambda.EINVALID, "%s function %q is the function itself: a function cannot be its own destination (it would loop); name another function, or \"\" for none", d.Setting, d.Function)
		}
		if err := lambda.ValidateName(d.Function); err != nil {
			return lambda.Errorf(lambda.EINVALID, "%s: %s", d.Setting, lambda.ErrorMessage(err))
		}
		if _, err := e.Store.FindFunction(ctx, d.Function); lambda.ErrorCode(err) == lambda.ENOTFOUND {
			return lambda.Errorf(lambda.ENOTFOUND, "%s function %q does not exist: deploy it first", d.Setting, d.Function)
		} else if err != nil {
			return err
		}
	}
	for _, d := range set.Destinations() {
		cycle, err := e.destinationCycle(ctx, name, d)
		if err != nil {
			return err
		}
		if cycle != nil {
			last := cycle[len(cycle)-1]
			return lambda.Errorf(lambda.EINVALID, "%s function %q leads back to %q: %s; records would go round without end. Break the loop: name another function, or clear %s's setting with `lambda config %s --%s \"\"`",
				d.Setting, d.Function, name, describeCycle(name, cycle), last.from, last.from, strings.ReplaceAll(last.Setting, "_", "-"))
		}
	}
	return nil
}

// hop is an edge of the destination graph: from's setting names Function.
type hop struct {
	from string
	lambda.Destination
}

// destinationCycle returns the hops by which first, a destination being
// set on name, leads back to name through the stored destinations of the
// functions it reaches (on_success and on_failure alike), or nil. A
// function that does not exist ends its path.
func (e *Engine) destinationCycle(ctx context.Context, name string, first lambda.Destination) ([]hop, error) {
	type path struct {
		at   string
		hops []hop
	}
	seen := map[string]bool{}
	queue := []path{{first.Function, []hop{{name, first}}}}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p.at] {
			continue
		}
		seen[p.at] = true
		fn, err := e.Store.FindFunction(ctx, p.at)
		if lambda.ErrorCode(err) == lambda.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, d := range fn.Scaling.Destinations() {
			hops := append(append([]hop(nil), p.hops...), hop{p.at, d})
			if d.Function == name {
				return hops, nil
			}
			queue = append(queue, path{d.Function, hops})
		}
	}
	return nil, nil
}

// describeCycle writes hops as "a on_failure → b on_success → a".
func describeCycle(name string, hops []hop) string {
	var b strings.Builder
	b.WriteString(name)
	for _, h := range hops {
		fmt.Fprintf(&b, " %s → %s", h.Setting, h.Function)
	}
	return b.String()
}
