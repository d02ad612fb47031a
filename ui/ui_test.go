package ui

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestAssetsReferToEachOther: every file the page or a module loads is
// embedded, so a renamed module fails here rather than in a browser.
func TestAssetsReferToEachOther(t *testing.T) {
	files := Assets()
	refs := map[string]*regexp.Regexp{
		".html": regexp.MustCompile(`(?:src|href)="([a-z.]+\.(?:js|css))"`),
		".js":   regexp.MustCompile(`from '\./([a-z]+\.js)'`),
	}
	seen := 0
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		re := refs[path[strings.LastIndex(path, "."):]]
		if re == nil {
			return nil
		}
		b, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			seen++
			if _, err := fs.Stat(files, m[1]); err != nil {
				t.Errorf("%s loads %s, which is not embedded", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 8 {
		t.Errorf("found %d references between the files: the patterns no longer match them", seen)
	}
}

// TestNoHTMLFromStrings: the page builds its elements with text nodes
// (dom.js), never from HTML strings, since function names, log lines and
// error messages are other people's text; and it has no inline script,
// which the server's Content-Security-Policy would refuse.
func TestNoHTMLFromStrings(t *testing.T) {
	files := Assets()
	bad := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function`)
	inline := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]|\son[a-z]+="`)
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(files, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if m := bad.Find(b); m != nil && strings.HasSuffix(e.Name(), ".js") {
			t.Errorf("%s uses %s: build elements with h() from dom.js", e.Name(), m)
		}
		if m := inline.Find(b); m != nil && strings.HasSuffix(e.Name(), ".html") {
			t.Errorf("%s has inline script %q: the CSP allows only the dashboard's own files", e.Name(), m)
		}
	}
}
