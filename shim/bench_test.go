package shim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func benchRequest() *http.Request {
	r := httptest.NewRequest("POST", "/greet?name=World&lang=en", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "bench/1.0")
	r.Header.Set("Accept", "*/*")
	r.Header.Set("X-Forwarded-For", "192.0.2.1")
	return r
}

var benchBody = []byte(`{"greeting":"Hello","count":3,"tags":["a","b"]}`)

func BenchmarkEnvelope(b *testing.B) {
	r, inv := benchRequest(), testInvocation(false)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendEnvelope(buf[:0], r, benchBody, inv, &testFn)
	}
}

func BenchmarkFunctionURLEvent(b *testing.B) {
	r, inv := benchRequest(), testInvocation(false)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendFunctionURLEvent(buf[:0], r, benchBody, inv, &testFn)
	}
}

func BenchmarkMapResult(b *testing.B) {
	res := []byte(`{"statusCode":200,"headers":{"Content-Type":"application/json","X-A":"1"},"body":"{\"message\":\"Hello, World!\"}"}`)
	h := http.Header{}
	b.ReportAllocs()
	for b.Loop() {
		clear(h)
		_, _, _ = mapResult(res, h)
	}
}

// BenchmarkInvoke measures a request through the shim to a Runtime API
// client and back, over keep-alive HTTP.
func BenchmarkInvoke(b *testing.B) {
	s := startShim(b, protoAWS)
	s.waitReady()
	client := &http.Client{}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Post(s.url+"/", "application/json", strings.NewReader(`{"action":"result","result":"{\"ok\":true}"}`))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
