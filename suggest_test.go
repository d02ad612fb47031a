package lambda

import (
	"testing"
	"unicode/utf8"
)

func TestClosestName(t *testing.T) {
	names := []string{"greet", "hello", "report-daily", "resize-image"}
	for _, tc := range []struct{ name, want string }{
		{"gret", "greet"},   // a deletion
		{"greeet", "greet"}, // an insertion
		{"gerat", "greet"},  // a swap and a substitution: 2 edits, within 2 for 5 letters
		{"helol", "hello"},  // a swap is one edit
		{"report-dialy", "report-daily"},
		{"resize-imag", "resize-image"},
		{"greet", ""}, // the name itself is no suggestion
		{"xyz", ""},   // nothing near
		{"a", ""},
		{"", ""},
	} {
		if got := ClosestName(tc.name, names); got != tc.want {
			t.Errorf("ClosestName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"ab", "ba", 1}, {"gret", "greet", 1}, {"über", "uber", 1},
		// The manifest's unknown keys (its own distance before this one).
		{"memroy", "memory", 1}, {"", "abc", 3}, {"port", "port", 0}, {"prot", "port", 1}, {"timout", "timeout", 1}, {"base", "name", 2},
	} {
		if got := editDistance(tc.a, tc.b, 100); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func FuzzClosestName(f *testing.F) {
	f.Add("gret", "greet")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := editDistance(a, b, 1000)
		if d != editDistance(b, a, 1000) {
			t.Fatalf("not symmetric: %q %q", a, b)
		}
		if (d == 0) != (a == b) && utf8.ValidString(a) && utf8.ValidString(b) {
			t.Fatalf("distance 0 iff equal: %q %q = %d", a, b, d)
		}
		_ = ClosestName(a, []string{b})
	})
}
