package http

import (
	"net/url"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestFunctionURLRoutesToTheFunction: the URL the server gives a function
// (deploy's "live at", lambda list) routes to that function. A name with
// "--" got NAME.DOMAIN, which the router reads as ALIAS--NAME: alias "a"
// of function "b" for a function named a--b.
func TestFunctionURLRoutesToTheFunction(t *testing.T) {
	s := NewServer()
	s.Domain = "lambda.test"
	for _, name := range []string{"greet", "a--b", "my-fn--x--y"} {
		u, err := url.Parse(s.FunctionURL(name))
		if err != nil {
			t.Fatal(err)
		}
		label, isFn, err := functionFromHost(u.Host, s.Domain)
		if err != nil || !isFn {
			t.Fatalf("%s: host %q is not a function's: %v", name, u.Host, err)
		}
		got, q, err := qualifiedHost(label)
		if err != nil || got != name || (q != "" && q != lambda.AliasLive) {
			t.Errorf("%s: URL %s routes to function %q qualifier %q (%v)", name, u, got, q, err)
		}
	}
}
