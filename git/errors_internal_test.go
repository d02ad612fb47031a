package git

import "testing"

// go-git's errors quote the URL they failed on: its user information goes,
// its quotes stay.
func TestRedactKeepsQuotes(t *testing.T) {
	for in, want := range map[string]string{
		`Get "https://ghp_x@h:1/r.git/info/refs?service=git-upload-pack": dial tcp`: `Get "https://h:1/r.git/info/refs?service=git-upload-pack": dial tcp`,
		`remote 'https://u@h/r' said no`:                                            `remote 'https://h/r' said no`,
		`token tok123 in https://h/r`:                                               `token *** in https://h/r`,
	} {
		if got := redact(in, "tok123"); got != want {
			t.Errorf("redact(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}
