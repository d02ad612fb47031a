package asynctest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// MemFunctions is an in-memory lambda.FunctionStore, enough to give the
// queue functions, versions and settings in tests.
type MemFunctions struct {
	mu        sync.Mutex
	functions map[string]*lambda.Function
	versions  map[string][]*lambda.Version
}

var _ lambda.FunctionStore = (*MemFunctions)(nil)

// NewMemFunctions returns an empty store.
func NewMemFunctions() *MemFunctions {
	return &MemFunctions{functions: map[string]*lambda.Function{}, versions: map[string][]*lambda.Version{}}
}

func functionNotFound(name string) error {
	return lambda.Errorf(lambda.ENOTFOUND, "function %q not found", name)
}

func (m *MemFunctions) NextVersion(_ context.Context, name string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.versions[name]) + 1, nil
}

func (m *MemFunctions) PublishVersion(_ context.Context, v *lambda.Version) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range m.versions[v.Function] {
		if x.Number == v.Number {
			return lambda.Errorf(lambda.ECONFLICT, "version %d of %q exists", v.Number, v.Function)
		}
	}
	c := *v
	m.versions[v.Function] = append(m.versions[v.Function], &c)
	fn := m.functions[v.Function]
	if fn == nil {
		fn = &lambda.Function{Name: v.Function, CreatedAt: time.Now()}
		m.functions[v.Function] = fn
	}
	fn.ActiveVersion, fn.UpdatedAt = v.Number, time.Now()
	return nil
}

func (m *MemFunctions) ActivateVersion(_ context.Context, name string, number int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	fn := m.functions[name]
	if fn == nil {
		return functionNotFound(name)
	}
	if m.findVersion(name, number) == nil {
		return lambda.Errorf(lambda.ENOTFOUND, "version %d of %q not found", number, name)
	}
	fn.ActiveVersion = number
	return nil
}

func (m *MemFunctions) findVersion(name string, number int) *lambda.Version {
	for _, v := range m.versions[name] {
		if v.Number == number {
			return v
		}
	}
	return nil
}

func (m *MemFunctions) FindFunction(_ context.Context, name string) (*lambda.Function, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.findFunction(name)
}

func (m *MemFunctions) findFunction(name string) (*lambda.Function, error) {
	fn := m.functions[name]
	if fn == nil {
		return nil, functionNotFound(name)
	}
	c := *fn
	if v := m.findVersion(name, fn.ActiveVersion); v != nil {
		vc := *v
		c.Active = &vc
	}
	return &c, nil
}

func (m *MemFunctions) ListFunctions(context.Context) ([]*lambda.Function, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*lambda.Function
	for name := range m.functions {
		fn, _ := m.findFunction(name)
		out = append(out, fn)
	}
	slices.SortFunc(out, func(a, b *lambda.Function) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (m *MemFunctions) FindVersion(_ context.Context, name string, number int) (*lambda.Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.findVersion(name, number)
	if v == nil {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "version %d of %q not found", number, name)
	}
	c := *v
	return &c, nil
}

func (m *MemFunctions) ListVersions(_ context.Context, name string) ([]*lambda.Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.functions[name] == nil {
		return nil, functionNotFound(name)
	}
	var out []*lambda.Version
	for _, v := range m.versions[name] {
		c := *v
		out = append(out, &c)
	}
	return out, nil
}

func (m *MemFunctions) MarkVersionPruned(_ context.Context, name string, number int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.findVersion(name, number)
	if v == nil {
		return lambda.Errorf(lambda.ENOTFOUND, "version %d of %q not found", number, name)
	}
	if v.PrunedAt == nil {
		now := time.Now()
		v.PrunedAt = &now
	}
	return nil
}

func (m *MemFunctions) SetScaling(_ context.Context, name string, s lambda.Scaling) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	fn := m.functions[name]
	if fn == nil {
		return functionNotFound(name)
	}
	fn.Scaling = s
	return nil
}

func (m *MemFunctions) DeleteFunction(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.functions[name] == nil {
		return functionNotFound(name)
	}
	delete(m.functions, name)
	delete(m.versions, name)
	return nil
}
