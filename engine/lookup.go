package engine

import (
	"context"

	"github.com/lambdahq/lambda"
)

var _ lambda.FunctionLookup = (*Engine)(nil)

// LookupFunction implements lambda.FunctionLookup from the routing state
// of a function already routed, which deploys, rollbacks and scaling
// changes keep current; a function not routed yet is read from the store,
// without loading it into routing.
func (e *Engine) LookupFunction(ctx context.Context, name string) (lambda.ActiveFunction, error) {
	e.mu.Lock()
	st, ok := e.functions[name]
	deleting := e.deleting[name]
	e.mu.Unlock()
	if deleting {
		return lambda.ActiveFunction{}, errDeleted(name)
	}
	if !ok {
		if af, ok := e.lookupExternal(name); ok {
			return af, nil
		}
	}
	if ok {
		st.mu.Lock()
		p, sc := st.active, st.scaling
		st.mu.Unlock()
		// A first deploy publishes its state before its pool (switchTo).
		if p != nil {
			return lambda.ActiveFunction{Name: name, Version: p.version.Number, Scaling: sc.Effective(p.version.Config.Protocol)}, nil
		}
	}
	return lambda.LookupStore{Store: e.Store}.LookupFunction(ctx, name)
}
