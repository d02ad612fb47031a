package lambda_test

import (
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestGitSourceValidate(t *testing.T) {
	tests := []struct {
		src    lambda.GitSource
		phrase string // "" = valid
	}{
		{lambda.GitSource{URL: "https://github.com/o/r.git"}, ""},
		{lambda.GitSource{URL: "https://github.com/o/r", Ref: "v1.2.3", Subdir: "fn/api", Token: "t"}, ""},
		{lambda.GitSource{URL: "git://127.0.0.1:9418/r.git", Ref: "0123456789abcdef0123456789abcdef01234567"}, ""},
		{lambda.GitSource{URL: "http://localhost:8080/r.git", Token: "t"}, ""},
		{lambda.GitSource{URL: ""}, "is empty"},
		{lambda.GitSource{URL: "file:///etc"}, `scheme "file" is not supported`},
		{lambda.GitSource{URL: "/srv/repo.git"}, "is not supported"},
		{lambda.GitSource{URL: "ssh://git@github.com/o/r"}, "is not supported"},
		{lambda.GitSource{URL: "https:///r"}, "has no host"},
		{lambda.GitSource{URL: "https://u:secret@github.com/o/r"}, "carries a password"},
		{lambda.GitSource{URL: "http://example.com/r.git", Token: "t"}, "only over https"},
		{lambda.GitSource{URL: "git://127.0.0.1/r.git", Token: "t"}, "git:// has no authentication"},
		{lambda.GitSource{URL: "https://h/r", Ref: "--upload-pack=x"}, "may not start with '-'"},
		{lambda.GitSource{URL: "https://h/r", Ref: "a..b"}, "not a valid"},
		{lambda.GitSource{URL: "https://h/r", Ref: "a\nb"}, "control character"},
		{lambda.GitSource{URL: "https://h/r", Subdir: "../x"}, "inside the repository"},
		{lambda.GitSource{URL: "https://h/r", Subdir: "/etc"}, "inside the repository"},
		{lambda.GitSource{URL: "https://h/r", Subdir: `a\b`}, "forward slashes"},
	}
	for _, tt := range tests {
		err := tt.src.Validate()
		switch {
		case tt.phrase == "" && err != nil:
			t.Errorf("%+v: %v, want valid", tt.src, err)
		case tt.phrase != "" && (lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), tt.phrase)):
			t.Errorf("%+v: %v, want EINVALID containing %q", tt.src, err, tt.phrase)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%+v: the error shows the password: %v", tt.src, err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://github.com/o/r":           "https://github.com/o/r",
		"https://tok@github.com/o/r":       "https://github.com/o/r",
		"https://u:tok@github.com/o/r.git": "https://github.com/o/r.git",
		"https://u:t%zz@h/r":               "https://***@h/r",
	} {
		if got := lambda.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	s := lambda.GitSource{URL: "https://u@h/r", Ref: "main", Token: "tok"}.String()
	if strings.Contains(s, "tok") || strings.Contains(s, "u@") {
		t.Errorf("String() = %q shows credentials", s)
	}
}
