package lambda

import "context"

// ActiveFunction is what queuing and running an invocation needs to know
// of a function: its active version and the scaling in force for it.
type ActiveFunction struct {
	Name    string
	Version int // the active version's number
	// Scaling is the effective scaling (Scaling.Effective for the active
	// version's protocol): defaults filled in.
	Scaling Scaling
}

// FunctionLookup finds a function's active version and scaling where that
// is cheap: the engine answers from its routing state in memory, and reads
// the store only for a function it has not routed yet. The async queue
// asks on every submission and every dispatch round. ENOTFOUND when the
// function does not exist or has no active version.
type FunctionLookup interface {
	LookupFunction(ctx context.Context, name string) (ActiveFunction, error)
}

// LookupStore implements FunctionLookup by reading Store on every call:
// the fallback where no engine keeps functions in memory.
type LookupStore struct{ Store FunctionStore }

func (l LookupStore) LookupFunction(ctx context.Context, name string) (ActiveFunction, error) {
	fn, err := l.Store.FindFunction(ctx, name)
	if err != nil {
		return ActiveFunction{}, err
	}
	if fn.ActiveVersion == 0 {
		return ActiveFunction{}, Errorf(ENOTFOUND, "function %q has no active version: deploy it first (\"lambda deploy\")", name)
	}
	protocol := ""
	if fn.Active != nil {
		protocol = fn.Active.Config.Protocol
	}
	return ActiveFunction{Name: fn.Name, Version: fn.ActiveVersion, Scaling: fn.Scaling.Effective(protocol)}, nil
}
