package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

var (
	durationType    = reflect.TypeFor[time.Duration]()
	stringSliceType = reflect.TypeFor[[]string]()
)

// convertible reports whether fromString and fromJSON handle t: the
// int, uint, float, bool and string kinds, []string and time.Duration.
func convertible(t reflect.Type) bool {
	if t == durationType || t == stringSliceType {
		return true
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Bool, reflect.String:
		return true
	}
	return false
}

// fromString converts a query-string value to t. A []string takes a
// comma-separated list, as the platform joins repeated parameters with ",".
func fromString(s string, t reflect.Type) (reflect.Value, error) {
	v := reflect.New(t).Elem()
	if t == durationType {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return v, fmt.Errorf("%q is not a duration: use a number with a unit, like 1.5s, 200ms or 1h", s)
		}
		v.SetInt(int64(d))
		return v, nil
	}
	if t == stringSliceType {
		if s != "" {
			v.Set(reflect.ValueOf(strings.Split(s, ",")))
		} else {
			v.Set(reflect.ValueOf([]string{}))
		}
		return v, nil
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return v, fmt.Errorf("%q is not a boolean: use true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			return v, numError(s, t, err, "an integer")
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			return v, numError(s, t, err, "a non-negative integer")
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), t.Bits())
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return v, fmt.Errorf("%q is not a number", s)
		}
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return v, fmt.Errorf("%q is not a finite %s", s, t)
		}
		v.SetFloat(f)
	default:
		return v, fmt.Errorf("values of type %s are not supported", t)
	}
	return v, nil
}

func numError(s string, t reflect.Type, err error, what string) error {
	if errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("%s is out of range for %s", s, t)
	}
	return fmt.Errorf("%q is not %s", s, what)
}

// fromJSON converts one JSON value to t: strings as fromString does,
// numbers and booleans as themselves, and for []string an array of
// strings. Numbers given to string parameters keep their JSON text.
func fromJSON(raw json.RawMessage, t reflect.Type) (reflect.Value, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return reflect.Value{}, errors.New("the value is empty")
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return reflect.Value{}, fmt.Errorf("bad JSON string: %w", err)
		}
		return fromString(s, t)
	case c == '[' && t == stringSliceType:
		var ss []string
		if err := json.Unmarshal(raw, &ss); err != nil {
			return reflect.Value{}, errors.New("expected an array of strings")
		}
		if ss == nil {
			ss = []string{}
		}
		return reflect.ValueOf(ss), nil
	case c == 't' || c == 'f':
		if t.Kind() == reflect.Bool || t.Kind() == reflect.String {
			return fromString(string(raw), t)
		}
		return reflect.Value{}, fmt.Errorf("%s is a boolean, not %s", raw, describeKind(t))
	case c == '-' || (c >= '0' && c <= '9'):
		if t == durationType {
			// encoding/json's representation: integer nanoseconds.
			n, err := fromJSON(raw, reflect.TypeFor[int64]())
			if err != nil {
				return reflect.Value{}, fmt.Errorf(`%s is not a duration: use a string like "1.5s" or integer nanoseconds`, raw)
			}
			v := reflect.New(t).Elem()
			v.SetInt(n.Int())
			return v, nil
		}
		if isInt(t) && strings.ContainsAny(string(raw), ".eE") {
			// 2.0 or 1e3 is still an integer when it has no fraction.
			if f, err := strconv.ParseFloat(string(raw), 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
				return fromString(strconv.FormatInt(int64(f), 10), t)
			}
		}
		if t.Kind() == reflect.Bool || t == stringSliceType {
			return reflect.Value{}, fmt.Errorf("%s is a number, not %s", raw, describeKind(t))
		}
		return fromString(string(raw), t)
	}
	return reflect.Value{}, fmt.Errorf("%s is not %s", snippet(raw), describeKind(t))
}

func isInt(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// describeKind names what a parameter of type t expects, for messages.
func describeKind(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration"
	case t == stringSliceType:
		return "a list of strings"
	case isInt(t):
		return "an integer"
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	}
	return "a " + t.String()
}
