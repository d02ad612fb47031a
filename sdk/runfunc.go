package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
)

// ParamError is a missing or unusable parameter of a function served by
// RunFunc, or a query parameter that does not fit a typed event's field.
type ParamError struct {
	Name string
	Err  error // nil when the parameter is missing
}

func (e *ParamError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("missing parameter %q: pass it in the query string (?%s=…) or the JSON body", e.Name, e.Name)
	}
	return fmt.Sprintf("parameter %q: %v", e.Name, e.Err)
}

func (e *ParamError) Unwrap() error { return e.Err }

// RunFunc serves f, a plain Go function, as Start does. names are the
// names of f's parameters in order (Go cannot tell them): RunFunc(add,
// "a", "b") calls add(a, b) with a and b taken from the event's fields,
// where an HTTP request's query parameters are; see Func for the rules.
func RunFunc(f any, names ...string) {
	Start(Func(f, names...))
}

// Func adapts f for Start, as RunFunc does, and lets Start take Info:
//
//	sdk.Start(sdk.Func(add, "a", "b"), sdk.Info{Name: "add"})
//
// f may take a context.Context first; its other parameters are int, uint,
// float, bool or string kinds, []string or time.Duration, each required.
// A value may be a JSON number, boolean or string, or a string as a query
// parameter gives it ("1.5", "true", "200ms"); a []string takes a JSON
// array or a comma-separated string. f may return nothing, error, a
// result, or (result, error). The result is the response as is: 3.5 for
// add(1.5, 2), a JSON object for a struct, an HTTP response for a
// Response. An error is the invocation's error. A missing or bad
// parameter is a *ParamError naming it: answered with 400 to an HTTP
// request, the invocation's error otherwise.
//
// A wrong f or names stops Start with a message saying what is wrong.
func Func(f any, names ...string) Worker {
	p, err := newParamFunc(f, names)
	if err != nil {
		return &paramFunc{err: err}
	}
	return p
}

// paramFunc calls a function with arguments taken from the event by name.
type paramFunc struct {
	fn      reflect.Value
	name    string
	hasCtx  bool
	names   []string
	params  []reflect.Type
	results results
	err     error // the reason f cannot be served
}

func newParamFunc(f any, names []string) (*paramFunc, error) {
	v := reflect.ValueOf(f)
	if f == nil || v.Kind() != reflect.Func || v.IsNil() {
		return nil, fmt.Errorf("RunFunc needs a function, like sdk.RunFunc(add, \"a\", \"b\"), not %T", f)
	}
	t := v.Type()
	p := &paramFunc{fn: v, name: runtime.FuncForPC(v.Pointer()).Name(), names: names}
	what := "RunFunc's function " + p.name
	if t.IsVariadic() {
		return nil, fmt.Errorf("%s is variadic: give it one parameter per value", what)
	}
	first := 0
	if t.NumIn() > 0 && t.In(0) == contextType {
		p.hasCtx, first = true, 1
	}
	for i := first; i < t.NumIn(); i++ {
		p.params = append(p.params, t.In(i))
	}
	if len(names) != len(p.params) {
		return nil, fmt.Errorf("%s takes %d parameters but RunFunc got %d names (%s): name each parameter in order, like sdk.RunFunc(add, \"a\", \"b\")",
			what, len(p.params), len(names), strings.Join(names, ", "))
	}
	seen := map[string]bool{}
	for i, n := range names {
		switch {
		case strings.TrimSpace(n) == "":
			return nil, fmt.Errorf("%s: the name of parameter %d is empty", what, i+1)
		case seen[n]:
			return nil, fmt.Errorf("%s: the name %q is given twice", what, n)
		case !convertible(p.params[i]):
			return nil, fmt.Errorf("%s: parameter %s is a %s; RunFunc supports int, uint, float, bool and string kinds, []string and time.Duration",
				what, n, p.params[i])
		}
		seen[n] = true
	}
	var err error
	if p.results, err = newResults(t, what); err != nil {
		return nil, err
	}
	return p, nil
}

// Run implements Worker.
func (p *paramFunc) Run(ctx context.Context, event json.RawMessage) (any, error) {
	if p.err != nil {
		return nil, p.err
	}
	args, err := p.bind(event)
	if err != nil {
		return badRequest(ctx, err)
	}
	if p.hasCtx {
		args = append([]reflect.Value{reflect.ValueOf(&ctx).Elem()}, args...)
	}
	return p.results.split(p.fn.Call(args))
}

// bind takes each parameter from the event object; null counts as missing.
func (p *paramFunc) bind(event json.RawMessage) ([]reflect.Value, error) {
	var obj map[string]json.RawMessage
	if ev := bytes.TrimSpace(event); len(ev) > 0 && !bytes.Equal(ev, []byte("null")) {
		if err := json.Unmarshal(ev, &obj); err != nil {
			return nil, &EventError{Type: fmt.Sprintf("the parameters of %s (%s)", p.name, strings.Join(p.names, ", ")),
				Err: errors.New("it must be a JSON object with them as fields")}
		}
	}
	args := make([]reflect.Value, len(p.names))
	for i, n := range p.names {
		raw, ok := obj[n]
		if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return nil, &ParamError{Name: n}
		}
		v, err := fromJSON(raw, p.params[i])
		if err != nil {
			return nil, &ParamError{Name: n, Err: err}
		}
		args[i] = v.Convert(p.params[i])
	}
	return args, nil
}
