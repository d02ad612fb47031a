package lambda_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// FuzzGitSource feeds a deploy's untrusted git source to its checks: they
// never panic, an accepted source names a network URL without a password
// and a subdir inside the repository, and RedactURL never returns a URL's
// password.
func FuzzGitSource(f *testing.F) {
	f.Add("https://github.com/o/r.git", "main", "fn/api")
	f.Add("https://u:secret@github.com/o/r", "v1", "")
	f.Add("git://127.0.0.1:9418/r.git", "0123456789abcdef0123456789abcdef01234567", "../x")
	f.Add("file:///etc", "--upload-pack=x", "/abs")
	f.Add("https://u:p%zz@h/r", "a..b", "a\\b")
	f.Fuzz(func(t *testing.T, raw, ref, subdir string) {
		src := lambda.GitSource{URL: raw, Ref: ref, Subdir: subdir}
		if err := src.Validate(); err == nil {
			u, perr := url.Parse(raw)
			if perr != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "git") {
				t.Fatalf("accepted %q", raw)
			}
			if _, has := u.User.Password(); has {
				t.Fatalf("accepted a password in %q", raw)
			}
			if c := src.CleanSubdir(); c == ".." || strings.HasPrefix(c, "../") || strings.HasPrefix(c, "/") {
				t.Fatalf("accepted subdir %q (%q)", subdir, c)
			}
		} else if lambda.ErrorCode(err) != lambda.EINVALID {
			t.Fatalf("error %v is not EINVALID", err)
		}
		red := lambda.RedactURL(raw)
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			if p, has := u.User.Password(); has && len(p) > 3 && strings.Contains(red, p) {
				t.Fatalf("RedactURL(%q) = %q keeps the password", raw, red)
			}
		}
	})
}
