package shim

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMapResult(t *testing.T) {
	for _, tc := range []struct {
		name    string
		result  string
		status  int
		body    string
		headers map[string]string // "" means absent
		cookies []string
		err     string
	}{
		{name: "statusCode object", result: `{"statusCode":201,"body":"made"}`, status: 201, body: "made",
			headers: map[string]string{"Content-Type": "application/json"}},
		{name: "headers", result: `{"statusCode":200,"headers":{"content-type":"text/html","X-N":5,"X-B":true,"X-Null":null},"body":"<p>"}`,
			status: 200, body: "<p>", headers: map[string]string{"Content-Type": "text/html", "X-N": "5", "X-B": "true", "X-Null": ""}},
		{name: "multiValueHeaders", result: `{"statusCode":200,"headers":{"X-A":"1"},"multiValueHeaders":{"X-A":["2","3"],"X-M":["a","b"]}}`,
			status: 200, headers: map[string]string{"X-A": "1,2,3", "X-M": "a,b"}},
		{name: "cookies", result: `{"statusCode":200,"cookies":["a=1; Path=/","b=2"]}`, status: 200, cookies: []string{"a=1; Path=/", "b=2"}},
		{name: "base64 body", result: `{"statusCode":200,"body":"AP8=","isBase64Encoded":true}`, status: 200, body: "\x00\xff"},
		{name: "non-string body taken as written", result: `{"statusCode":200,"body":{"a":[1]}}`, status: 200, body: `{"a":[1]}`},
		{name: "owned headers dropped", result: `{"statusCode":200,"headers":{"Content-Length":"99","X-Lambda-Function-Error":"x","Connection":"close"}}`,
			status: 200, headers: map[string]string{"Content-Length": "", "X-Lambda-Function-Error": "", "Connection": ""}},
		{name: "object without statusCode", result: `{"message":"hi"}`, status: 200, body: `{"message":"hi"}`,
			headers: map[string]string{"Content-Type": "application/json"}},
		{name: "string statusCode is not a response", result: `{"statusCode":"404"}`, status: 200, body: `{"statusCode":"404"}`},
		{name: "float statusCode is not a response", result: `{"statusCode":200.5}`, status: 200, body: `{"statusCode":200.5}`},
		{name: "array", result: `[1,2]`, status: 200, body: `[1,2]`, headers: map[string]string{"Content-Type": "application/json"}},
		{name: "string", result: `"hello"`, status: 200, body: `"hello"`},
		{name: "number", result: ` 42 `, status: 200, body: ` 42 `},
		{name: "null", result: `null`, status: 200, body: `null`},
		{name: "invalid JSON", result: `hello`, err: "not valid JSON"},
		{name: "truncated object", result: `{"statusCode":200`, err: "not valid JSON"},
		{name: "empty", result: ``, err: "not valid JSON"},
		{name: "status out of range", result: `{"statusCode":99}`, err: "statusCode 99"},
		{name: "status too high", result: `{"statusCode":600}`, err: "statusCode 600"},
		{name: "bad base64", result: `{"statusCode":200,"body":"!!","isBase64Encoded":true}`, err: "base64"},
		{name: "object header value", result: `{"statusCode":200,"headers":{"X":{"a":1}}}`, err: "header X must be a string"},
		{name: "bad header name", result: `{"statusCode":200,"headers":{"Bad Name":"x"}}`, err: "not valid"},
		{name: "headers not an object", result: `{"statusCode":200,"headers":[1]}`, err: "headers must be"},
		{name: "cookies not strings", result: `{"statusCode":200,"cookies":[1]}`, err: "cookies must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			status, body, err := mapResult([]byte(tc.result), h)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if status != tc.status || string(body) != tc.body {
				t.Errorf("got %d %q, want %d %q", status, body, tc.status, tc.body)
			}
			for k, v := range tc.headers {
				if got := strings.Join(h.Values(k), ","); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if tc.cookies != nil && strings.Join(h.Values("Set-Cookie"), "|") != strings.Join(tc.cookies, "|") {
				t.Errorf("Set-Cookie %v, want %v", h.Values("Set-Cookie"), tc.cookies)
			}
		})
	}
}

// TestAnswer covers how each protocol and mode answers each kind of result.
func TestAnswer(t *testing.T) {
	const (
		internal  = `{"message":"Internal Server Error"}`
		posted    = `{"errorMessage":"boom","errorType":"ValueError","stackTrace":["x"]}`
		lambdaDoc = `{"errorMessage":"boom","errorType":"ValueError"}`
	)
	for _, tc := range []struct {
		name     string
		aws, raw bool
		res      result
		status   int
		body     string // "" skips the check
		fnError  bool
	}{
		{"handler http result", false, false, ok(`{"statusCode":204}`), 204, "", false},
		{"handler http plain", false, false, ok(`{"a":1}`), 200, `{"a":1}`, false},
		{"handler raw result as is", false, true, ok(`{"statusCode":204}`), 200, `{"statusCode":204}`, false},
		{"handler http invalid result", false, false, ok(`nope`), 502, `{"errorMessage":"the function returned an invalid response: the function's result is not valid JSON","errorType":"Runtime.InvalidResponse"}`, true},
		{"handler raw invalid result as is", false, true, ok(`nope`), 200, `nope`, false},
		{"handler http error", false, false, fnErr(posted, ""), 500, lambdaDoc, true},
		{"handler raw error", false, true, fnErr(posted, ""), 500, lambdaDoc, true},
		{"handler error type from header", false, false, fnErr(`{"errorMessage":"m"}`, "Custom"), 500, `{"errorMessage":"m","errorType":"Custom"}`, true},
		{"handler error not JSON", false, false, fnErr(`oops`, ""), 500, `{"errorMessage":"oops","errorType":"Error"}`, true},
		{"aws http result", true, false, ok(`{"statusCode":302,"headers":{"Location":"/x"}}`), 302, "", false},
		{"aws http plain", true, false, ok(`"hi"`), 200, `"hi"`, false},
		{"aws http invalid result", true, false, ok(`nope`), 502, internal, true},
		{"aws raw result", true, true, ok(`[1]`), 200, `[1]`, false},
		{"aws http error", true, false, fnErr(posted, ""), 502, internal, true},
		{"aws raw error as posted", true, true, fnErr(posted, ""), 500, posted, true},
		{"aws raw error not JSON", true, true, fnErr(`oops`, "T"), 500, `{"errorMessage":"oops","errorType":"T"}`, true},
		{"handler failure", false, false, failure(), 502, `{"errorMessage":"exited","errorType":"Runtime.ExitError"}`, true},
		{"aws raw failure", true, true, failure(), 502, `{"errorMessage":"exited","errorType":"Runtime.ExitError"}`, true},
		{"aws http failure", true, false, failure(), 502, internal, true},
		{"timeout", true, false, result{kind: resTimeout}, 504, `{"errorMessage":"Task timed out after 30.00 seconds","errorType":"Timeout"}`, true},
		{"unavailable", false, false, result{kind: resUnavailable, message: "stopping"}, 503, `{"errorMessage":"stopping","errorType":"ServiceUnavailable"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			inv := testInvocation(tc.raw)
			answer(w, inv, tc.res, tc.aws)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			if tc.body != "" && w.Body.String() != tc.body {
				t.Errorf("body %s, want %s", w.Body, tc.body)
			}
			if got := w.Header().Get(hdrFunctionError) == "Unhandled"; got != tc.fnError {
				t.Errorf("X-Lambda-Function-Error set: %v, want %v", got, tc.fnError)
			}
			if w.Header().Get(hdrRequestID) != "id-1" {
				t.Error("no X-Lambda-Request-Id")
			}
		})
	}
}

func TestAnswerTail(t *testing.T) {
	w := httptest.NewRecorder()
	inv := testInvocation(false)
	inv.tail = true
	answer(w, inv, result{kind: resOK, body: bytes.NewBufferString(`{"statusCode":"x"}`), tail: []byte("log line\n")}, false)
	if got := w.Header().Get(hdrLogResult); got != "bG9nIGxpbmUK" {
		t.Errorf("X-Lambda-Log-Result %q", got)
	}
	w = httptest.NewRecorder()
	answer(w, inv, result{kind: resOK, body: bytes.NewBufferString(`{"statusCode":1}`), tail: []byte("x")}, false)
	if w.Code != 502 || w.Header().Get(hdrLogResult) != "eA==" {
		t.Errorf("an invalid response keeps the tail: %d %v", w.Code, w.Header())
	}
}

func ok(body string) result { return result{kind: resOK, body: bytes.NewBufferString(body)} }

func fnErr(body, typ string) result {
	return result{kind: resError, body: bytes.NewBufferString(body), errType: typ}
}

func failure() result {
	return result{kind: resFailure, errType: "Runtime.ExitError", message: "exited"}
}
