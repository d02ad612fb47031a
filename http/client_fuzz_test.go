package http

import (
	"strings"
	"testing"
)

// FuzzReadDeployEvents feeds arbitrary server output to the deploy stream
// reader: it must end in a result or an error, never panic or hang.
func FuzzReadDeployEvents(f *testing.F) {
	f.Add(`{"type":"step","step":2,"total":3,"message":"Building"}` + "\n" + `{"type":"done","function":{"name":"greet"}}` + "\n")
	f.Add(`{"type":"error","error":{"code":"invalid","message":"build failed"}}`)
	f.Add(`{"type":"done"}`)
	f.Add(`{"type":"log","message":"x"}{"type":"error"}`)
	f.Add("not json")
	f.Add("")
	f.Fuzz(func(t *testing.T, stream string) {
		n := 0
		fn, err := readDeployEvents(strings.NewReader(stream), func(DeployEvent) { n++ })
		if (fn == nil) == (err == nil) {
			t.Fatalf("got detail %v and error %v: want exactly one", fn, err)
		}
	})
}

// FuzzParseErrorBody checks that any error body either yields an error with
// a known code and a message, or nil.
func FuzzParseErrorBody(f *testing.F) {
	f.Add(`{"error":{"code":"not_found","message":"function \"x\" not found"}}`)
	f.Add(`{"error":{"code":"internal"}}`)
	f.Add(`{"error":"boom"}`)
	f.Add(`<html>`)
	f.Fuzz(func(t *testing.T, body string) {
		e := parseErrorBody([]byte(body))
		if e != nil && (!knownCode(e.Code) || e.Message == "") {
			t.Fatalf("parseErrorBody(%q) = %+v", body, e)
		}
	})
}
