package shim

import (
	"encoding/json"
	"testing"
)

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "\n\r\t\x00\x1f\x7f", "é日本\U0001F600", "bad\xffutf8\xc3", "\u2028"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%q: %s is not JSON: %v", s, got, err)
			continue
		}
		want, _ := json.Marshal(s) // same decoded value as encoding/json's
		var wantBack string
		json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("%q: decodes to %q, encoding/json's to %q", s, back, wantBack)
		}
		if gotB := appendString(nil, []byte(s)); string(gotB) != string(got) {
			t.Errorf("%q: []byte and string versions differ", s)
		}
	}
	if got := string(appendLowerString(nil, "X-Custom-Header")); got != `"x-custom-header"` {
		t.Errorf("lower: %s", got)
	}
	if got := string(appendLowerString(nil, "Bad\"Name")); got != `"bad\"name"` {
		t.Errorf("lower escapes: %s", got)
	}
}
