package sdk

import (
	"encoding/json"
	"io"
	"path/filepath"
	"reflect"
	"time"
)

// Info describes a function for -info. Every field is optional.
type Info struct {
	// Name defaults to $AWS_LAMBDA_FUNCTION_NAME, else the program's name.
	Name        string
	Description string
	Version     string
	// Params documents the event's fields. Those the SDK finds itself (the
	// fields of a typed event, RunFunc's parameters) are listed anyway;
	// an entry here with the same name adds its description.
	Params []Param
}

func (i Info) apply(o *options) { o.info = i }

// Param is one field of the event.
type Param struct {
	Name string `json:"name"`
	// Type is the Go type, like float64 or time.Duration.
	Type string `json:"type,omitempty"`
	// Kind is the JSON kind: string, number, integer, boolean, duration,
	// array, object or any.
	Kind        string `json:"kind,omitempty"`
	Description string `json:"description,omitempty"`
}

// TypeInfo names the type of an event or result.
type TypeInfo struct {
	Type string `json:"type"`
	Kind string `json:"kind"`
}

// Metadata is what a function binary prints when run with -info.
type Metadata struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Version     string `json:"version,omitempty"`
	// Style is how the function is served: handler (Start), func
	// (RunFunc) or lifecycle (Run).
	Style  string    `json:"style"`
	Go     string    `json:"go,omitempty"` // the Go signature served
	Event  *TypeInfo `json:"event,omitempty"`
	Result *TypeInfo `json:"result,omitempty"`
	Params []Param   `json:"params"`
}

// describer is implemented by what Start serves, to fill in Metadata.
type describer interface{ describe(*Metadata) }

func (h *funcHandler) describe(m *Metadata) {
	m.Style, m.Go = "handler", h.fn.Type().String()
	if h.event != nil {
		m.Event = typeInfo(h.event)
		m.Params = paramsOf(h.event)
	}
	m.Result = h.results.info()
}

func (p *paramFunc) describe(m *Metadata) {
	m.Style = "func"
	if p.err != nil {
		return
	}
	m.Go = p.name + " " + p.fn.Type().String()
	m.Event = &TypeInfo{Type: "object", Kind: "object"}
	for i, n := range p.names {
		m.Params = append(m.Params, Param{Name: n, Type: p.params[i].String(), Kind: jsonKind(p.params[i])})
	}
	m.Result = p.results.info()
}

func (r results) info() *TypeInfo {
	if r.value == nil {
		return nil
	}
	return typeInfo(r.value)
}

// metadata builds what -info prints for the served value.
func metadata(served any, info Info, getenv func(string) string, program string) Metadata {
	m := Metadata{Name: info.Name, Description: info.Description, Version: info.Version, Style: "lifecycle",
		Event: &TypeInfo{Type: "json.RawMessage", Kind: "any"}}
	if d, ok := served.(describer); ok {
		m.Event = nil
		d.describe(&m)
	}
	if m.Name == "" {
		m.Name = getenv("AWS_LAMBDA_FUNCTION_NAME")
	}
	if m.Name == "" {
		m.Name = filepath.Base(program)
	}
	m.Params = mergeParams(m.Params, info.Params)
	return m
}

// mergeParams adds the descriptions of declared to found, and the
// declared params not found after them.
func mergeParams(found, declared []Param) []Param {
	out := append([]Param{}, found...)
	for _, d := range declared {
		matched := false
		for i := range out {
			if out[i].Name == d.Name {
				matched = true
				if d.Description != "" {
					out[i].Description = d.Description
				}
				if out[i].Kind == "" {
					out[i].Kind = d.Kind
				}
			}
		}
		if !matched {
			out = append(out, d)
		}
	}
	return out
}

func writeMetadata(w io.Writer, m Metadata) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

func typeInfo(t reflect.Type) *TypeInfo {
	return &TypeInfo{Type: t.String(), Kind: jsonKind(t)}
}

// paramsOf lists the fields of a struct event type (or pointer to one).
func paramsOf(t reflect.Type) []Param {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []Param
	for _, f := range structFields(t) {
		out = append(out, Param{Name: f.name, Type: f.typ.String(), Kind: jsonKind(f.typ)})
	}
	return out
}

var timeType = reflect.TypeFor[time.Time]()

// jsonKind is the kind of JSON value encoding/json uses for t.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		return "duration"
	case t == rawType:
		return "any"
	case t == timeType:
		return "string"
	case t.Implements(reflect.TypeFor[json.Marshaler]()):
		return "any"
	case isInt(t):
		return "integer"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string" // base64
		}
		return "array"
	case reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return "any"
}
