package sdk

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
)

// errorDoc is the body of POST /runtime/invocation/{id}/error and
// /runtime/init/error.
type errorDoc struct {
	Message    string   `json:"errorMessage"`
	Type       string   `json:"errorType"`
	StackTrace []string `json:"stackTrace"`
}

// errorTyper lets an error name its own errorType.
type errorTyper interface{ ErrorType() string }

// stackTracer lets an error carry the stack trace reported with it.
type stackTracer interface{ StackTrace() []string }

func errorDocFor(err error) errorDoc {
	doc := errorDoc{Message: err.Error(), Type: errorType(err), StackTrace: []string{}}
	var st stackTracer
	if errors.As(err, &st) {
		doc.StackTrace = st.StackTrace()
	}
	return doc
}

// errorType is the error's ErrorType() if it has one, else the name of its
// Go type without the package, as aws-lambda-go reports it: errors.New
// gives "errorString", *fs.PathError gives "PathError".
func errorType(err error) string {
	var et errorTyper
	if errors.As(err, &et) {
		if t := et.ErrorType(); t != "" {
			return t
		}
	}
	return typeName(err)
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "nil"
	}
	for t.Kind() == reflect.Pointer && t.Name() == "" {
		t = t.Elem()
	}
	if t.Name() == "" {
		return t.String()
	}
	return t.Name()
}

// panicError is a recovered panic: its value and the panicking goroutine's
// stack.
type panicError struct {
	value  any
	frames []string // "function (file:line)", innermost first
	stack  []byte   // as runtime/debug.Stack prints it
}

func (p *panicError) Error() string { return fmt.Sprint(p.value) }

func (p *panicError) doc() errorDoc {
	doc := errorDoc{Message: p.Error(), Type: typeName(p.value), StackTrace: p.frames}
	if err, ok := p.value.(error); ok {
		doc.Type = errorType(err)
	}
	return doc
}

// panicFrames returns the frames of a panicking goroutine from the
// panicking function outwards. It must be called by the deferred function
// that recovers.
func panicFrames() []string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var out []string
	seenPanic, inRuntime := false, true
	for {
		f, more := frames.Next()
		switch {
		case !seenPanic:
			seenPanic = f.Function == "runtime.gopanic"
		case inRuntime && strings.HasPrefix(f.Function, "runtime."):
			// panicmem, sigpanic and friends sit between gopanic and the
			// function that panicked.
		default:
			inRuntime = false
			out = append(out, fmt.Sprintf("%s (%s:%d)", f.Function, f.File, f.Line))
		}
		if !more {
			break
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}
