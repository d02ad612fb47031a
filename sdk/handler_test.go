package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

type customErr struct{}

func (*customErr) Error() string { return "custom" }

func TestHandlerSignatures(t *testing.T) {
	var nilFunc func()
	tests := []struct {
		name    string
		handler any
		wantErr string // "" when valid
	}{
		{"func()", func() {}, ""},
		{"func(ctx)", func(context.Context) {}, ""},
		{"func(event)", func(greetEvent) {}, ""},
		{"func(ctx, event)", func(context.Context, greetEvent) {}, ""},
		{"returns error", func() error { return nil }, ""},
		{"returns result", func() int { return 0 }, ""},
		{"returns result and error", func() (int, error) { return 0, nil }, ""},
		{"returns a concrete error", func() *customErr { return nil }, ""},
		{"raw event", func(json.RawMessage) {}, ""},
		{"nil", nil, "the handler is nil"},
		{"not a function", "handler", "the handler is a string, not a function"},
		{"nil function", nilFunc, "nil function"},
		{"variadic", func(...int) {}, "variadic"},
		{"three arguments", func(context.Context, int, int) {}, "takes 3 arguments"},
		{"first of two is not ctx", func(int, int) {}, "the first must be context.Context, not int"},
		{"event is a channel", func(chan int) {}, "event type chan int cannot be decoded from JSON"},
		{"three results", func() (int, int, error) { return 0, 0, nil }, "returns 3 values"},
		{"second result not error", func() (int, string) { return 0, "" }, "the second must be error, not string"},
		{"result is a function", func() (func(), error) { return nil, nil }, "cannot be encoded as JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newHandler(tt.handler)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestConcreteErrorResult(t *testing.T) {
	h, err := newHandler(func(e map[string]bool) *customErr {
		if e["fail"] {
			return &customErr{}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Run(context.Background(), json.RawMessage(`{}`)); err != nil {
		t.Errorf("a nil *customErr is an error: %v", err)
	}
	if _, err := h.Run(context.Background(), json.RawMessage(`{"fail":true}`)); err == nil {
		t.Error("a *customErr is not reported")
	}
}

type queryEvent struct {
	A     float64       `json:"a"`
	N     int8          `json:"n"`
	OK    bool          `json:"ok"`
	D     time.Duration `json:"d"`
	Tags  []string      `json:"tags"`
	P     *float64      `json:"p"`
	Name  string        `json:"name"`
	Other map[string]int
	Embedded
	skip int
}

type Embedded struct {
	E uint `json:"e"`
}

func TestDecodeEvent(t *testing.T) {
	httpCtx := NewContext(context.Background(), &Context{Request: &Request{Method: "GET"}})
	rawCtx := context.Background()
	two := 2.5
	tests := []struct {
		name    string
		ctx     context.Context
		event   string
		want    queryEvent
		wantErr string
	}{
		{"query strings over HTTP", httpCtx,
			`{"a":"1.5","n":"-3","ok":"true","d":"1m","tags":"x,y","p":"2.5","name":"007","e":"4"}`,
			queryEvent{A: 1.5, N: -3, OK: true, D: time.Minute, Tags: []string{"x", "y"}, P: &two, Name: "007", Embedded: Embedded{E: 4}}, ""},
		{"JSON values over HTTP", httpCtx, `{"a":1.5,"tags":["x"],"Other":{"k":1}}`,
			queryEvent{A: 1.5, Tags: []string{"x"}, Other: map[string]int{"k": 1}}, ""},
		{"keys match case-insensitively", httpCtx, `{"A":"2"}`, queryEvent{A: 2}, ""},
		{"bad number names the field", httpCtx, `{"a":"x"}`, queryEvent{}, `parameter "a": "x" is not a number`},
		{"out of range", httpCtx, `{"n":"300"}`, queryEvent{}, `parameter "n": 300 is out of range for int8`},
		{"bad duration", httpCtx, `{"d":"10"}`, queryEvent{}, `parameter "d": "10" is not a duration`},
		{"not an object", httpCtx, `[1]`, queryEvent{}, "the event does not fit sdk.queryEvent"},
		{"raw mode keeps types strict", rawCtx, `{"a":"1.5"}`, queryEvent{}, "cannot unmarshal string"},
		{"raw mode JSON", rawCtx, `{"a":1.5,"d":60000000000}`, queryEvent{A: 1.5, D: time.Minute}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := decodeEvent(tt.ctx, json.RawMessage(tt.event), reflect.TypeFor[queryEvent]())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := v.Interface().(queryEvent); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestBadRequest(t *testing.T) {
	err := &ParamError{Name: "a"}
	if _, got := badRequest(context.Background(), err); !errors.Is(got, err) {
		t.Errorf("direct invocation: %v, want the error", got)
	}
	res, got := badRequest(NewContext(context.Background(), &Context{Request: &Request{}}), err)
	resp, ok := res.(Response)
	if got != nil || !ok || resp.StatusCode != 400 || resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("HTTP: %#v, %v", res, got)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body["errorType"] != "ParamError" ||
		!strings.Contains(body["errorMessage"], `missing parameter "a"`) {
		t.Errorf("body %s", resp.Body)
	}
}
