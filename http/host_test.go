package http

import (
	"testing"

	"github.com/lambdahq/lambda"
)

func TestFunctionFromHost(t *testing.T) {
	tests := []struct {
		host, domain string
		name         string
		ok           bool
		code         string
	}{
		{"greet.localhost:8080", "localhost", "greet", true, ""},
		{"greet.localhost", "localhost", "greet", true, ""},
		{"GREET.LocalHost:8080", "localhost", "greet", true, ""},
		{"greet.localhost.", "localhost", "greet", true, ""},
		{"greet.localhost.:8080", "localhost", "greet", true, ""},
		{"my-fn-2.example.com", "example.com", "my-fn-2", true, ""},
		{"localhost:8080", "localhost", "", false, ""},
		{"127.0.0.1:8080", "localhost", "", false, ""},
		{"other.example.org", "localhost", "", false, ""},
		{"greetlocalhost", "localhost", "", false, ""},
		{"greet..localhost", "localhost", "", false, lambda.EINVALID},
		{"..localhost", "localhost", "", false, lambda.EINVALID},
		{"a.b.localhost", "localhost", "", false, lambda.EINVALID},
		{"-bad.localhost", "localhost", "", false, lambda.EINVALID},
		{"bad_name.localhost", "localhost", "", false, lambda.EINVALID},
		{"[::1]:8080", "localhost", "", false, ""},
		{"", "localhost", "", false, ""},
	}
	for _, tt := range tests {
		name, ok, err := functionFromHost(tt.host, tt.domain)
		if name != tt.name || ok != tt.ok || lambda.ErrorCode(err) != tt.code {
			t.Errorf("functionFromHost(%q, %q) = %q, %v, %v; want %q, %v, code %q", tt.host, tt.domain, name, ok, err, tt.name, tt.ok, tt.code)
		}
	}
}

func FuzzFunctionFromHost(f *testing.F) {
	for _, s := range []string{"greet.localhost:8080", "a..localhost", "X.LOCALHOST.", "[::1]:1", "%00.localhost"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		name, ok, err := functionFromHost(host, "localhost")
		if ok && (err != nil || lambda.ValidateName(name) != nil) {
			t.Fatalf("host %q gave invalid function %q (err %v)", host, name, err)
		}
	})
}
