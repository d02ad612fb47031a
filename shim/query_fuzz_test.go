package shim

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// valid is s as a JSON decoder returns it: each byte of invalid UTF-8
// becomes U+FFFD.
func valid(s string) string { return string([]rune(s)) }

// FuzzQuery: whatever query string a request carries, the events carry its
// parameters exactly (repeats joined with ","), as JSON strings, and the
// parameters win over the body's fields of the same name.
func FuzzQuery(f *testing.F) {
	for _, s := range []struct{ query, body string }{
		{"name=World", `{"a":1}`}, {"a=1&a=2&b", ``}, {"%zz&x=%41", `{"x":"body"}`}, {"a;b=c", `[]`},
		{"=&&=x&%00=%ff", `{"":1}`}, {"k=%22%5C%0A", `{"k":{"deep":true}}`}, {"", `{"a":1}`}, {"\xff=\xfe", `nope`},
	} {
		f.Add(s.query, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, raw string, body []byte) {
		q := parseQuery(raw)
		want := map[string]string{}
		for k, vs := range q {
			want[valid(k)] = valid(strings.Join(vs, ","))
		}

		var got map[string]string
		enc := appendQuery(nil, q)
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("query %q: %s is not a JSON object of strings: %v", raw, enc, err)
		}
		if len(got) != len(want) {
			t.Fatalf("query %q: %d parameters, want %d (%s)", raw, len(got), len(want), enc)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("query %q: parameter %q = %q, want %q", raw, k, got[k], v)
			}
		}

		ev := appendHTTPEvent(nil, body, q)
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(ev, &fields); err != nil {
			t.Fatalf("HTTP event of %q and %q is not a JSON object: %s", raw, body, ev)
		}
		for k, v := range want {
			var s string
			if err := json.Unmarshal(fields[k], &s); err != nil || s != v {
				t.Fatalf("HTTP event: parameter %q = %s, want the query's %q", k, fields[k], v)
			}
		}

		// The Function URL event keeps the raw query as sent.
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = raw
		var furl struct {
			RawQueryString string            `json:"rawQueryString"`
			Params         map[string]string `json:"queryStringParameters"`
		}
		if err := json.Unmarshal(appendFunctionURLEvent(nil, r, nil, testInvocation(false), &testFn), &furl); err != nil {
			t.Fatalf("Function URL event for %q: %v", raw, err)
		}
		if utf8.ValidString(raw) && furl.RawQueryString != raw {
			t.Fatalf("rawQueryString %q, want %q", furl.RawQueryString, raw)
		}
		if len(furl.Params) != len(want) {
			t.Fatalf("queryStringParameters %v, want %v", furl.Params, want)
		}
	})
}

// FuzzParseErrorDoc: whatever a function posts as its error, the answer
// is an error document that carries the same message and a type, never an
// empty one.
func FuzzParseErrorDoc(f *testing.F) {
	for _, s := range []struct{ body, header string }{
		{`{"errorMessage":"boom","errorType":"ValueError","stackTrace":["x"]}`, ""},
		{`{"errorMessage":"boom"}`, "Unhandled"}, {`{"errorType":""}`, ""}, {`not json`, ""}, {``, ""},
		{`{"errorMessage":5}`, "T"}, {`"just a string"`, ""}, {`{"errorMessage":"\u0000\ud800"}`, "\xff"}, {"\xff\xfe", ""},
	} {
		f.Add([]byte(s.body), s.header)
	}
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		msg, typ := parseErrorDoc(body, header)
		if typ == "" {
			t.Fatalf("parseErrorDoc(%q, %q): empty type", body, header)
		}
		var doc errorDoc
		if err := json.Unmarshal(body, &doc); err != nil && msg != string(body) {
			t.Fatalf("parseErrorDoc(%q): message %q, want the body itself (it is not an error document)", body, msg)
		} else if err == nil && doc.ErrorType != "" && typ != doc.ErrorType {
			t.Fatalf("parseErrorDoc(%q): type %q, want the document's %q", body, typ, doc.ErrorType)
		}

		w := httptest.NewRecorder()
		writeErrorDoc(w, 502, typ, msg)
		var back errorDoc
		if err := json.Unmarshal(w.Body.Bytes(), &back); err != nil {
			t.Fatalf("error document %q is not JSON: %v", w.Body, err)
		}
		if back.ErrorMessage != valid(msg) || back.ErrorType != valid(typ) {
			t.Fatalf("error document %s, want message %q and type %q", w.Body, msg, typ)
		}
		if w.Code != 502 || w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("answered %d %q", w.Code, w.Header().Get("Content-Type"))
		}
	})
}
