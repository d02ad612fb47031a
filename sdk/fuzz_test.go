package sdk

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// The envelope, events and parameter values come from HTTP clients: no
// input may panic the SDK.

func FuzzDecodeEnvelope(f *testing.F) {
	f.Add([]byte(`{"event":{"a":1},"context":{"function_name":"f","deadline_ms":1,"request":{"method":"GET"}}}`))
	f.Add([]byte(`{"event":null,"context":{}}`))
	f.Add([]byte(`{"event":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := decodeEnvelope(body)
		if err != nil {
			return
		}
		if !json.Valid(env.Event) {
			t.Fatalf("event %q is not JSON", env.Event)
		}
		invocationContext(env, &invocation{id: "x"}, func(string) string { return "" })
	})
}

var fuzzTypes = []reflect.Type{
	reflect.TypeFor[int](), reflect.TypeFor[int8](), reflect.TypeFor[uint32](), reflect.TypeFor[float32](),
	reflect.TypeFor[float64](), reflect.TypeFor[bool](), reflect.TypeFor[string](), reflect.TypeFor[[]string](),
	reflect.TypeFor[time.Duration](),
}

func FuzzFromJSON(f *testing.F) {
	for _, s := range []string{`"1.5"`, `2.0`, `-1e3`, `true`, `["a"]`, `"1h"`, `"x,y"`, `{}`, `"`, `1e400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, typ := range fuzzTypes {
			v, err := fromJSON(raw, typ)
			if err == nil && v.Type() != typ {
				t.Fatalf("fromJSON(%q, %s) gave a %s", raw, typ, v.Type())
			}
		}
	})
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(`{"a":"1.5","n":"3","tags":"a,b","d":"1s","p":"2"}`))
	f.Add([]byte(`{"A":"x"}`))
	f.Add([]byte(`null`))
	ctx := NewContext(context.Background(), &Context{Request: &Request{}})
	typ := reflect.TypeFor[queryEvent]()
	f.Fuzz(func(t *testing.T, event []byte) {
		decodeEvent(ctx, event, typ)
		Func(add, "a", "b").Run(ctx, event)
	})
}
