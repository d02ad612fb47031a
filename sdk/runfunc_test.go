package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func add(a, b float64) float64 { return a + b }

// TestFuncConversions calls one-parameter functions with the values a
// query string or a JSON body gives.
func TestFuncConversions(t *testing.T) {
	tests := []struct {
		name    string
		fn      any
		event   string
		want    string // the result as JSON
		wantErr string
	}{
		{"float from query", func(v float64) float64 { return v }, `{"v":"1.5"}`, `1.5`, ""},
		{"float from JSON", func(v float32) float32 { return v }, `{"v":-2.25}`, `-2.25`, ""},
		{"float garbage", func(v float64) float64 { return v }, `{"v":"abc"}`, ``, `parameter "v": "abc" is not a number`},
		{"float infinite", func(v float64) float64 { return v }, `{"v":"Inf"}`, ``, `"Inf" is not a finite float64`},
		{"float overflow", func(v float32) float32 { return v }, `{"v":"1e40"}`, ``, `"1e40" is not a finite float32`},
		{"int from query", func(v int) int { return v }, `{"v":"-42"}`, `-42`, ""},
		{"int from JSON", func(v int64) int64 { return v }, `{"v":9007199254740993}`, `9007199254740993`, ""},
		{"int from 2.0", func(v int) int { return v }, `{"v":2.0}`, `2`, ""},
		{"int with fraction", func(v int) int { return v }, `{"v":2.5}`, ``, `"2.5" is not an integer`},
		{"int from float string", func(v int) int { return v }, `{"v":"2.5"}`, ``, `"2.5" is not an integer`},
		{"int8 overflow", func(v int8) int8 { return v }, `{"v":"128"}`, ``, `128 is out of range for int8`},
		{"uint", func(v uint16) uint16 { return v }, `{"v":"65535"}`, `65535`, ""},
		{"uint negative", func(v uint) uint { return v }, `{"v":"-1"}`, ``, `"-1" is not a non-negative integer`},
		{"bool from query", func(v bool) bool { return v }, `{"v":"true"}`, `true`, ""},
		{"bool from 0", func(v bool) bool { return v }, `{"v":"0"}`, `false`, ""},
		{"bool from JSON", func(v bool) bool { return v }, `{"v":false}`, `false`, ""},
		{"bool garbage", func(v bool) bool { return v }, `{"v":"yes"}`, ``, `"yes" is not a boolean`},
		{"bool from number", func(v bool) bool { return v }, `{"v":1}`, ``, `1 is a number, not a boolean`},
		{"number to bool", func(v int) int { return v }, `{"v":true}`, ``, `true is a boolean, not an integer`},
		{"string", func(v string) string { return v }, `{"v":"a b"}`, `"a b"`, ""},
		{"string from number", func(v string) string { return v }, `{"v":5}`, `"5"`, ""},
		{"string from object", func(v string) string { return v }, `{"v":{}}`, ``, `{} is not a string`},
		{"strings from query", func(v []string) []string { return v }, `{"v":"a,b"}`, `["a","b"]`, ""},
		{"strings from JSON", func(v []string) []string { return v }, `{"v":["a","b,c"]}`, `["a","b,c"]`, ""},
		{"strings empty", func(v []string) int { return len(v) }, `{"v":""}`, `0`, ""},
		{"strings of numbers", func(v []string) []string { return v }, `{"v":[1]}`, ``, `expected an array of strings`},
		{"duration from query", func(v time.Duration) string { return v.String() }, `{"v":"1m30s"}`, `"1m30s"`, ""},
		{"duration from nanoseconds", func(v time.Duration) string { return v.String() }, `{"v":1000}`, `"1µs"`, ""},
		{"duration without unit", func(v time.Duration) time.Duration { return v }, `{"v":"10"}`, ``, `"10" is not a duration: use a number with a unit`},
		{"duration fraction", func(v time.Duration) time.Duration { return v }, `{"v":1.5}`, ``, `1.5 is not a duration`},
		{"named kind", func(v celsius) celsius { return v }, `{"v":"21.5"}`, `21.5`, ""},
		{"missing", func(v int) int { return v }, `{}`, ``, `missing parameter "v": pass it in the query string (?v=…)`},
		{"null is missing", func(v int) int { return v }, `{"v":null}`, ``, `missing parameter "v"`},
		{"empty event", func(v int) int { return v }, ``, ``, `missing parameter "v"`},
		{"event not an object", func(v int) int { return v }, `[1]`, ``, `it must be a JSON object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := Func(tt.fn, "v")
			got, err := w.Run(context.Background(), json.RawMessage(tt.event))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := encodeJSON(got); string(b) != tt.want {
				t.Errorf("result %s, want %s", b, tt.want)
			}
		})
	}
}

type celsius float64

func TestFuncShapes(t *testing.T) {
	ctx := NewContext(context.Background(), &Context{FunctionName: "adder"})
	tests := []struct {
		name    string
		w       Worker
		want    string
		wantErr string
	}{
		{"add", Func(add, "a", "b"), `3.5`, ""},
		{"context first", Func(func(ctx context.Context, a float64) string {
			c, _ := FromContext(ctx)
			return fmt.Sprint(c.FunctionName, a)
		}, "a"), `"adder1.5"`, ""},
		{"no parameters", Func(func() string { return "hi" }), `"hi"`, ""},
		{"no results", Func(func(a float64) {}, "a"), `null`, ""},
		{"error only", Func(func(a float64) error { return nil }, "a"), `null`, ""},
		{"result and error", Func(func(a, b float64) (float64, error) {
			return 0, errors.New("division by zero")
		}, "a", "b"), ``, "division by zero"},
		{"struct result", Func(func(a, b float64) struct {
			Sum float64 `json:"sum"`
		} {
			return struct {
				Sum float64 `json:"sum"`
			}{a + b}
		}, "a", "b"), `{"sum":3.5}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.w.Run(ctx, json.RawMessage(`{"a":"1.5","b":2,"extra":"ignored"}`))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := encodeJSON(got); string(b) != tt.want {
				t.Errorf("result %s, want %s", b, tt.want)
			}
		})
	}
}

func TestFuncBadParamOverHTTP(t *testing.T) {
	ctx := NewContext(context.Background(), &Context{Request: &Request{Method: "GET"}})
	got, err := Func(add, "a", "b").Run(ctx, json.RawMessage(`{"a":"1.5","b":"two"}`))
	resp, ok := got.(Response)
	if err != nil || !ok || resp.StatusCode != 400 || !strings.Contains(resp.Body, `parameter \"b\": \"two\" is not a number`) {
		t.Errorf("got %#v, %v; want a 400 naming b", got, err)
	}
}

func TestFuncValidation(t *testing.T) {
	tests := []struct {
		name    string
		fn      any
		names   []string
		wantErr string
	}{
		{"nil", nil, nil, "RunFunc needs a function"},
		{"not a function", 3, nil, "RunFunc needs a function, like sdk.RunFunc(add, \"a\", \"b\"), not int"},
		{"too few names", add, []string{"a"}, `sdk.add takes 2 parameters but RunFunc got 1 names (a)`},
		{"too many names", add, []string{"a", "b", "c"}, "takes 2 parameters but RunFunc got 3 names"},
		{"duplicate name", add, []string{"a", "a"}, `the name "a" is given twice`},
		{"empty name", add, []string{"a", " "}, "the name of parameter 2 is empty"},
		{"unsupported type", func(m map[string]int) {}, []string{"m"}, "parameter m is a map[string]int; RunFunc supports"},
		{"variadic", func(a ...int) {}, []string{"a"}, "is variadic"},
		{"bad results", func(a int) (int, int) { return 0, 0 }, []string{"a"}, "the second must be error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := asWorker(Func(tt.fn, tt.names...))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			// Calling it anyway reports the same mistake.
			if _, rerr := Func(tt.fn, tt.names...).Run(context.Background(), nil); rerr == nil || rerr.Error() != err.Error() {
				t.Errorf("Run error %v, want %v", rerr, err)
			}
		})
	}
}

// TestRunFuncServes serves add as RunFunc does: the query of an HTTP
// request and a direct invocation give the same result.
func TestRunFuncServes(t *testing.T) {
	f := newFakeRuntime(t)
	serveHandler(t, f, Func(add, "a", "b"))
	req := &Request{Method: "GET", Path: "/", Query: map[string]string{"a": "1.5", "b": "2"}}
	if got := f.send(envelopeJSON(t, `{"a":"1.5","b":"2"}`, req), 0).wait(t).response(t); got != `3.5` {
		t.Errorf("?a=1.5&b=2: %s", got)
	}
	if got := f.invoke(t, `{"a":1.5,"b":2}`).response(t); got != `3.5` {
		t.Errorf("direct: %s", got)
	}
	if doc := f.invoke(t, `{"a":1.5}`).errorDoc(t); doc.Type != "ParamError" || !strings.Contains(doc.Message, `"b"`) {
		t.Errorf("direct without b: %+v", doc)
	}
}
