package http

import (
	"bufio"
	"bytes"
	"net/http"
	"reflect"
	"testing"
)

// FuzzParseFunctionRequest: the front's request parser (untrusted bytes
// from any client) never accepts a head net/http refuses, and reads the
// same request from one it accepts: method, target, its URL, host,
// headers and body framing. A head the two read differently is a request smuggling
// vector (a proxy in front agreeing with one of them).
func FuzzParseFunctionRequest(f *testing.F) {
	for _, seed := range []string{
		"GET /a?b=c HTTP/1.1\r\nHost: greet.localhost\r\n",
		"POST /fn/greet/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n",
		"POST /fn/greet/ HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n",
		"POST /fn/greet/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: +5\r\n",
		"POST /fn/greet/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: -0\r\n",
		"POST /fn/greet/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n",
		"GET /fn/greet/ HTTP/1.1\r\nHost: localhost\r\nX-A: b\r\n c\r\n",
		"POST /v1/functions/greet/invocations?timeout=2s HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n",
		"GET /fn/greet/a%2Fb?x=%41&y HTTP/1.1\r\nHost: localhost\r\n",
		"GET /a/(b)*!'c?#d HTTP/1.1\r\nHost: greet.localhost\r\n",
		"GET /fn/greet/? HTTP/1.1\r\nHost: localhost\r\nX-A: 1\r\nx-a: 2\r\n",
	} {
		f.Add([]byte(seed))
	}
	s := NewServer()
	f.Fuzz(func(t *testing.T, head []byte) {
		// What frontConn.parse passes: the lines before the blank one.
		if !bytes.HasSuffix(head, []byte("\r\n")) || bytes.Contains(head, []byte("\r\n\r\n")) {
			return
		}
		r, ok := parseFunctionRequest(s, head)
		if !ok {
			return
		}
		want, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(append(append([]byte(nil), head...), "\r\n"...))))
		if err != nil {
			t.Fatalf("the front accepts %q, net/http refuses it: %v", head, err)
		}
		if r.Method != want.Method || r.RequestURI != want.RequestURI || r.Host != want.Host {
			t.Fatalf("%q: front %s %s host %q, net/http %s %s host %q", head, r.Method, r.RequestURI, r.Host, want.Method, want.RequestURI, want.Host)
		}
		if !reflect.DeepEqual(r.Header, want.Header) {
			t.Fatalf("%q: front header %v, net/http %v", head, r.Header, want.Header)
		}
		if *r.URL != *want.URL {
			t.Fatalf("%q: front URL %#v, net/http %#v", head, *r.URL, *want.URL)
		}
		if r.ContentLength != want.ContentLength || !reflect.DeepEqual(r.TransferEncoding, want.TransferEncoding) {
			t.Fatalf("%q: front length %d %v, net/http %d %v", head, r.ContentLength, r.TransferEncoding, want.ContentLength, want.TransferEncoding)
		}
	})
}
