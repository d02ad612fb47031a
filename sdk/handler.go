package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

var (
	contextType = reflect.TypeFor[context.Context]()
	errorIface  = reflect.TypeFor[error]()
	rawType     = reflect.TypeFor[json.RawMessage]()
)

const shapes = "func(), func(ctx), func(event) or func(ctx, event), returning nothing, error, a result, or (result, error)"

// funcHandler serves a handler function given to Start, found to have a
// supported shape by newHandler.
type funcHandler struct {
	fn      reflect.Value
	hasCtx  bool
	event   reflect.Type // nil when the function takes no event
	results results
}

// newHandler checks a handler's shape once, at start, so that a wrong
// signature stops the function before it serves anything.
func newHandler(h any) (*funcHandler, error) {
	if h == nil {
		return nil, errors.New("the handler is nil: pass a function like func(ctx context.Context, event map[string]any) (any, error)")
	}
	v := reflect.ValueOf(h)
	t := v.Type()
	if t.Kind() != reflect.Func {
		return nil, fmt.Errorf("the handler is a %s, not a function: pass %s", t, shapes)
	}
	if v.IsNil() {
		return nil, errors.New("the handler is a nil function")
	}
	if t.IsVariadic() {
		return nil, fmt.Errorf("the handler %s is variadic: use %s", t, shapes)
	}
	fh := &funcHandler{fn: v}
	switch t.NumIn() {
	case 0:
	case 1:
		if t.In(0) == contextType {
			fh.hasCtx = true
		} else {
			fh.event = t.In(0)
		}
	case 2:
		if t.In(0) != contextType {
			return nil, fmt.Errorf("the handler %s takes two arguments, so the first must be context.Context, not %s", t, t.In(0))
		}
		fh.hasCtx, fh.event = true, t.In(1)
	default:
		return nil, fmt.Errorf("the handler %s takes %d arguments: a handler takes at most two, context.Context and the event", t, t.NumIn())
	}
	if fh.event != nil && !jsonable(fh.event) {
		return nil, fmt.Errorf("the handler's event type %s cannot be decoded from JSON: use a struct, a map, json.RawMessage or any", fh.event)
	}
	var err error
	if fh.results, err = newResults(t, "the handler"); err != nil {
		return nil, err
	}
	return fh, nil
}

// Run implements Worker.
func (h *funcHandler) Run(ctx context.Context, event json.RawMessage) (any, error) {
	args := make([]reflect.Value, 0, 2)
	if h.hasCtx {
		args = append(args, reflect.ValueOf(&ctx).Elem())
	}
	if h.event != nil {
		ev, err := decodeEvent(ctx, event, h.event)
		if err != nil {
			return badRequest(ctx, err)
		}
		args = append(args, ev)
	}
	return h.results.split(h.fn.Call(args))
}

// results knows where a function's result and error are among its return
// values.
type results struct {
	value reflect.Type // nil when the function returns no result
	err   bool
}

func newResults(t reflect.Type, what string) (results, error) {
	var r results
	switch t.NumOut() {
	case 0:
	case 1:
		if t.Out(0).Implements(errorIface) {
			r.err = true
		} else {
			r.value = t.Out(0)
		}
	case 2:
		if !t.Out(1).Implements(errorIface) {
			return r, fmt.Errorf("%s %s returns two values, so the second must be error, not %s", what, t, t.Out(1))
		}
		r.value, r.err = t.Out(0), true
	default:
		return r, fmt.Errorf("%s %s returns %d values: return nothing, error, a result, or (result, error)", what, t, t.NumOut())
	}
	if r.value != nil && !jsonable(r.value) {
		return r, fmt.Errorf("%s %s returns a %s, which cannot be encoded as JSON", what, t, r.value)
	}
	return r, nil
}

func (r results) split(out []reflect.Value) (any, error) {
	var result any
	var err error
	if r.err {
		if e := out[len(out)-1]; !isNil(e) {
			err = e.Interface().(error)
		}
	}
	if r.value != nil && !isNil(out[0]) {
		result = out[0].Interface()
	}
	return result, err
}

func isNil(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return v.IsNil()
	}
	return false
}

// jsonable rejects the kinds encoding/json can never handle.
func jsonable(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		return false
	}
	return true
}

// badRequest reports bad input: to an HTTP caller as a 400 response, to a
// direct invocation as an error.
func badRequest(ctx context.Context, err error) (any, error) {
	if !isHTTP(ctx) {
		return nil, err
	}
	doc := errorDocFor(err)
	resp, jerr := JSONResponse(400, map[string]string{"errorMessage": doc.Message, "errorType": doc.Type})
	if jerr != nil {
		return nil, err
	}
	return resp, nil
}
