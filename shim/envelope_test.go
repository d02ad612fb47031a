package shim

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var testFn = function{name: "greet", version: "3", memoryMB: 256, region: "us-east-1"}

func testInvocation(raw bool) *invocation {
	return &invocation{id: "id-1", raw: raw, received: time.UnixMilli(1763800000000), deadline: time.UnixMilli(1763800030000)}
}

// envelope builds the handler envelope of a request and decodes it.
func envelope(t *testing.T, raw bool, method, target, body string, header ...string) (map[string]any, error) {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	b, err := appendEnvelope(nil, r, []byte(body), testInvocation(raw), &testFn)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("envelope is not JSON: %v\n%s", err, b)
	}
	return m, nil
}

func TestEnvelopeEvent(t *testing.T) {
	for _, tc := range []struct {
		name         string
		raw          bool
		target, body string
		want         string // the event, as JSON
	}{
		{"query only", false, "/?name=World", "", `{"name":"World"}`},
		{"object body", false, "/", `{"name":"World","n":[1]}`, `{"name":"World","n":[1]}`},
		{"query set on top of the body", false, "/?name=Query&x=1", `{"name":"Body","y":true}`, `{"name":"Query","x":"1","y":true}`},
		{"repeated query joined", false, "/?a=1&a=2", "", `{"a":"1,2"}`},
		{"array body is not an event", false, "/?a=1", `[1,2]`, `{"a":"1"}`},
		{"text body is not an event", false, "/", `hello`, `{}`},
		{"empty object body with query", false, "/?a=1", ` { } `, `{"a":"1"}`},
		{"raw: body as the event", true, "/?ignored=1", `[1,"two"]`, `[1,"two"]`},
		{"raw: empty body", true, "/", ``, `{}`},
		{"raw: scalar", true, "/", `"text"`, `"text"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := envelope(t, tc.raw, "POST", tc.target, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			var want any
			json.Unmarshal([]byte(tc.want), &want)
			if !jsonEqual(m["event"], want) {
				t.Errorf("event %v, want %s", m["event"], tc.want)
			}
		})
	}
}

func TestEnvelopeRawInvalidJSON(t *testing.T) {
	for _, body := range []string{`{`, `hello`, `{"a":1} x`} {
		if _, err := envelope(t, true, "POST", "/", body); !errors.Is(err, errInvalidPayload) {
			t.Errorf("%q: err %v, want errInvalidPayload", body, err)
		}
	}
}

func TestEnvelopeContext(t *testing.T) {
	m, _ := envelope(t, false, "PUT", "/a/b?q=1&q=2", "\xff\xfe", "X-Multi", "a", "X-Multi", "b", "X-Lambda-Deadline-Ms", "1", "Content-Type", "application/octet-stream")
	want := map[string]any{
		"function_name": "greet", "function_version": "3", "invocation_id": "id-1",
		"deadline_ms": float64(1763800030000), "memory_limit_mb": float64(256),
	}
	for k, v := range want {
		if got := path(m, "context", k); got != v {
			t.Errorf("context.%s = %v, want %v", k, got, v)
		}
	}
	req := path(m, "context", "request")
	wantReq := map[string]any{
		"method": "PUT", "path": "/a/b", "body": "//4=", "isBase64Encoded": true,
		"headers": map[string]any{"host": "example.com", "x-multi": "a,b", "content-type": "application/octet-stream"},
		"query":   map[string]any{"q": "1,2"},
	}
	if !jsonEqual(req, wantReq) {
		t.Errorf("request %v\nwant %v", req, wantReq)
	}

	m, _ = envelope(t, true, "POST", "/", `{}`)
	if r, ok := path(m, "context").(map[string]any)["request"]; !ok || r != nil {
		t.Errorf("raw mode: request %v, want null", r)
	}
	m, _ = envelope(t, false, "POST", "/", "héllo")
	if path(m, "context", "request", "body") != "héllo" || path(m, "context", "request", "isBase64Encoded") != false {
		t.Errorf("UTF-8 body: %v", path(m, "context", "request"))
	}
}
