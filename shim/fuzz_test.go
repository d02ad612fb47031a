package shim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzEnvelope: whatever request arrives, the events built from it are
// valid JSON (or a raw payload is rejected as not JSON), and nothing
// panics.
func FuzzEnvelope(f *testing.F) {
	f.Add("GET", "/?name=World", "X-A: 1\r\nCookie: a=1; b\r\n", []byte(""), false)
	f.Add("POST", "/p%20q?a=1&a=2&%zz", "Content-Type: application/json\r\n", []byte(`{"a":1,"b":[1,2]}`), false)
	f.Add("PUT", "/x", "X-B: \xff\r\n", []byte("\xff\xfe\x00"), false)
	f.Add("POST", "/", "", []byte(`[1,"\u0000"]`), true)
	f.Add("POST", "/", "", []byte(`{"a":1}{`), true)
	f.Fuzz(func(t *testing.T, method, target, headers string, body []byte, raw bool) {
		req := "POST " + "/" + " HTTP/1.1\r\nHost: fn.localhost\r\n" + headers + "\r\n"
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(req)))
		if err != nil {
			r = httptest.NewRequest("POST", "/", nil)
		}
		if m := strings.TrimSpace(method); m != "" && !strings.ContainsAny(m, " \r\n") {
			r.Method = m
		}
		if u, err := r.URL.Parse(target); err == nil {
			r.URL = u
		}
		inv := testInvocation(raw)
		trimmed := bytes.Trim(body, " \t\r\n")
		acceptable := !raw || len(trimmed) == 0 || json.Valid(trimmed)
		ev, err := appendEnvelope(nil, r, body, inv, &testFn)
		switch {
		case errors.Is(err, errInvalidPayload) != !acceptable:
			t.Fatalf("payload %q (raw %v): err %v", body, raw, err)
		case errors.Is(err, errInvalidPayload):
		case err != nil:
			t.Fatal(err)
		case !json.Valid(ev):
			t.Fatalf("envelope is not JSON: %s", ev)
		}
		if furl := appendFunctionURLEvent(nil, r, body, inv, &testFn); !json.Valid(furl) {
			t.Fatalf("Function URL event is not JSON: %s", furl)
		}
		if ev, err := appendRawEvent(nil, body); err == nil && !json.Valid(ev) {
			t.Fatalf("raw event is not JSON: %s", ev)
		}
	})
}

// FuzzResult: whatever a function returns, every protocol answers it
// without panicking, with a status from 200 to 599.
func FuzzResult(f *testing.F) {
	for _, s := range []string{
		`{"statusCode":200,"headers":{"A":"b","N":1},"multiValueHeaders":{"M":["x",2]},"cookies":["c=1"],"body":"aGk=","isBase64Encoded":true}`,
		`{"statusCode":99}`, `{"statusCode":"200"}`, `[1]`, `"x"`, `nope`, ``, `{"statusCode":204,"body":"x"}`,
		`{"statusCode":200,"headers":{"Bad Name":"x"}}`, `{"errorMessage":"m","errorType":"T","stackTrace":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if status, _, err := mapResult(body, http.Header{}); err == nil && (status < 200 || status > 599) {
			t.Fatalf("status %d", status)
		}
		for _, kind := range []resultKind{resOK, resError} {
			for _, aws := range []bool{false, true} {
				for _, raw := range []bool{false, true} {
					w := httptest.NewRecorder()
					res := result{kind: kind, body: bytes.NewBuffer(append([]byte(nil), body...)), errType: "T"}
					answer(w, testInvocation(raw), res, aws)
					if w.Code < 200 || w.Code > 599 {
						t.Fatalf("answered %d", w.Code)
					}
					if kind == resError && !json.Valid(w.Body.Bytes()) {
						t.Fatalf("error answer is not JSON: %s", w.Body)
					}
				}
			}
		}
	})
}
