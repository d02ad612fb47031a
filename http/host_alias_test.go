package http

import (
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestQualifiedHostAndPath(t *testing.T) {
	tests := []struct {
		in, name, qualifier string
		err                 string
	}{
		{"greet", "greet", "", ""},
		{"canary--greet", "greet", "canary", ""},
		{"3--greet", "greet", "3", ""},
		{"live--my--fn", "my--fn", "live", ""},
		{"03--greet", "", "", "not a version number"},
		{"a---greet", "", "", "dash"},
		{"canary--", "", "", "empty"},
	}
	for _, tt := range tests {
		name, q, err := qualifiedHost(tt.in)
		check(t, "qualifiedHost", tt.in, name, q, err, tt.name, tt.qualifier, tt.err)
	}
	paths := []struct {
		in, name, qualifier string
		err                 string
	}{
		{"greet", "greet", "", ""},
		{"greet@canary", "greet", "canary", ""},
		{"greet@3", "greet", "3", ""},
		{"greet@$LATEST", "greet", "$LATEST", ""},
		{"greet@", "", "", "without an alias"},
		{"greet@Canary", "", "", "qualifier"},
		{"greet@a@b", "", "", "qualifier"},
		{"@canary", "", "", "empty"},
	}
	for _, tt := range paths {
		name, q, err := qualifiedPath(tt.in)
		check(t, "qualifiedPath", tt.in, name, q, err, tt.name, tt.qualifier, tt.err)
	}
}

func check(t *testing.T, fn, in, name, q string, err error, wantName, wantQ, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s(%q) = %q, %q, %v; want EINVALID with %q", fn, in, name, q, err, wantErr)
		}
		return
	}
	if err != nil || name != wantName || q != wantQ {
		t.Errorf("%s(%q) = %q, %q, %v; want %q, %q", fn, in, name, q, err, wantName, wantQ)
	}
}

// FuzzQualifiedAddress: a host label or path segment from any client
// splits into a valid function name and a qualifier the router accepts,
// which spell the input back, or is refused as EINVALID.
func FuzzQualifiedAddress(f *testing.F) {
	for _, s := range []string{"greet", "canary--greet", "3--greet", "greet@canary", "greet@3", "a---b", "greet@", "x--y--z", "@", "--"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range []struct {
			split func(string) (string, string, error)
			join  func(name, q string) string
		}{
			{qualifiedHost, func(n, q string) string { return q + "--" + n }},
			{qualifiedPath, func(n, q string) string { return n + "@" + q }},
		} {
			if p.join("n", "q") == "q--n" && lambda.ValidateName(s) != nil {
				continue // functionFromHost refuses such a label before
			}
			name, q, err := p.split(s)
			if err != nil {
				if lambda.ErrorCode(err) != lambda.EINVALID {
					t.Fatalf("split(%q): %v is not EINVALID", s, err)
				}
				continue
			}
			if err := lambda.ValidateName(name); err != nil {
				t.Fatalf("split(%q) gave an invalid name %q: %v", s, name, err)
			}
			if _, err := lambda.ParseQualifier(q); err != nil {
				t.Fatalf("split(%q) gave a qualifier %q the router refuses: %v", s, q, err)
			}
			if q != "" && p.join(name, q) != s {
				t.Fatalf("split(%q) = %q, %q, which do not spell it back", s, name, q)
			}
		}
	})
}
