package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// EventError is an event that does not fit the handler's event type.
type EventError struct {
	Type string // the Go type the event was decoded into
	Err  error
}

func (e *EventError) Error() string {
	return fmt.Sprintf("the event does not fit %s: %v", e.Type, e.Err)
}

func (e *EventError) Unwrap() error { return e.Err }

// decodeEvent decodes event into a new value of type t. For HTTP
// requests, whose query parameters arrive as strings, a string given to a
// top-level struct field that wants a number, a boolean, a duration or a
// []string is converted first, so ?a=1.5 fills a float64 field.
func decodeEvent(ctx context.Context, event json.RawMessage, t reflect.Type) (reflect.Value, error) {
	ptr := reflect.New(t)
	if t == rawType {
		ptr.Elem().SetBytes(bytes.Clone(event))
		return ptr.Elem(), nil
	}
	if isHTTP(ctx) {
		var err error
		if event, err = convertQueryFields(event, t); err != nil {
			return reflect.Value{}, err
		}
	}
	if err := json.Unmarshal(event, ptr.Interface()); err != nil {
		return reflect.Value{}, &EventError{Type: t.String(), Err: err}
	}
	return ptr.Elem(), nil
}

// convertQueryFields rewrites the string values of event's top-level keys
// that name convertible fields of struct t to the JSON t expects. A string
// that does not convert is a *ParamError naming the field.
func convertQueryFields(event json.RawMessage, t reflect.Type) (json.RawMessage, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return event, nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(event, &obj) != nil {
		return event, nil // not an object: let json.Unmarshal say why
	}
	fields := structFields(t)
	changed := false
	for key, raw := range obj {
		f, ok := lookupField(fields, key)
		if !ok {
			continue
		}
		ft := f.typ
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.String || !convertible(ft) {
			continue
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] != '"' {
			continue
		}
		v, err := fromJSON(raw, ft)
		if err != nil {
			return nil, &ParamError{Name: key, Err: err}
		}
		if obj[key], err = json.Marshal(v.Interface()); err != nil {
			return nil, &ParamError{Name: key, Err: err}
		}
		changed = true
	}
	if !changed {
		return event, nil
	}
	return json.Marshal(obj)
}

type field struct {
	name string // the JSON key
	typ  reflect.Type
}

// structFields lists the JSON keys of t's fields as encoding/json sees
// them, with embedded structs flattened. It ignores encoding/json's rules
// for conflicting names, which only matter for contrived types.
func structFields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if sf.Anonymous && name == "" {
			et := ft
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				out = append(out, structFields(et)...)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out = append(out, field{name: name, typ: ft})
	}
	return out
}

// lookupField matches keys as encoding/json does: exactly, else ignoring case.
func lookupField(fields []field, key string) (field, bool) {
	for _, f := range fields {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return field{}, false
}
