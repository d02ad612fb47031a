package main

import (
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// FuzzParseEnv checks that every accepted --env pair round-trips and that
// every rejected one says how to write it.
func FuzzParseEnv(f *testing.F) {
	for _, s := range []string{"A=1", "A=", "A==b", "=x", "1A=2", "NOEQ", "_X=y z", "é=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, kv string) {
		env, err := parseEnv([]string{kv})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--env ") {
				t.Fatalf("parseEnv(%q) error %q does not name the flag", kv, err)
			}
			return
		}
		k, v, _ := strings.Cut(kv, "=")
		if len(env) != 1 || env[k] != v || lambda.ValidateEnvName(k) != nil {
			t.Fatalf("parseEnv(%q) = %v", kv, env)
		}
	})
}
