package lambda

import (
	"math"
	"strings"
	"testing"
)

func TestParseQualifier(t *testing.T) {
	tests := []struct {
		in   string
		want Qualifier
		err  string
	}{
		{"", Qualifier{}, ""},
		{"$LATEST", Qualifier{}, ""},
		{"live", Qualifier{}, ""},
		{"3", Qualifier{Version: 3}, ""},
		{"123456789", Qualifier{Version: 123456789}, ""},
		{"canary", Qualifier{Alias: "canary"}, ""},
		{"blue_green-2", Qualifier{Alias: "blue_green-2"}, ""},
		{"1a", Qualifier{Alias: "1a"}, ""},
		{"0", Qualifier{}, "not a version number"},
		{"03", Qualifier{}, "not a version number"},
		{"99999999999", Qualifier{}, "not a version number"},
		{"Prod", Qualifier{}, `contains 'P'`},
		{"a--b", Qualifier{}, `"--"`},
		{"-a", Qualifier{}, "starts or ends"},
		{"a.b", Qualifier{}, `contains '.'`},
		{"$latest", Qualifier{}, `contains '$'`},
		{strings.Repeat("a", 64), Qualifier{}, "64 characters"},
	}
	for _, tt := range tests {
		got, err := ParseQualifier(tt.in)
		if tt.err != "" {
			if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseQualifier(%q) = %v, want EINVALID with %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseQualifier(%q) = %+v, %v, want %+v", tt.in, got, err, tt.want)
		}
		if back, err := ParseQualifier(got.String()); err != nil || back != got {
			t.Errorf("ParseQualifier(%q).String() = %q reads back as %+v, %v", tt.in, got.String(), back, err)
		}
	}
}

func TestAliasValidate(t *testing.T) {
	ok := Alias{Function: "greet", Name: "beta", Version: 1}
	tests := []struct {
		name string
		edit func(a *Alias)
		err  string
	}{
		{"valid", func(a *Alias) {}, ""},
		{"split", func(a *Alias) { a.AdditionalVersion, a.Weight = 2, 0.1 }, ""},
		{"split of 0", func(a *Alias) { a.AdditionalVersion = 2 }, ""},
		{"split of 1", func(a *Alias) { a.AdditionalVersion, a.Weight = 2, 1 }, ""},
		{"weight over 1", func(a *Alias) { a.AdditionalVersion, a.Weight = 2, 1.01 }, "outside 0-1"},
		{"negative weight", func(a *Alias) { a.AdditionalVersion, a.Weight = 2, -0.1 }, "outside 0-1"},
		{"NaN weight", func(a *Alias) { a.AdditionalVersion, a.Weight = 2, math.NaN() }, "outside 0-1"},
		{"weight without version", func(a *Alias) { a.Weight = 0.5 }, "no additional version"},
		{"split to itself", func(a *Alias) { a.AdditionalVersion, a.Weight = 1, 0.5 }, "itself"},
		{"no version", func(a *Alias) { a.Version = 0 }, "needs a version"},
		{"numeric name", func(a *Alias) { a.Name = "3" }, "looks like a version number"},
		{"zero-padded numeric name", func(a *Alias) { a.Name = "007" }, "looks like a version number"},
		{"latest", func(a *Alias) { a.Name = "$LATEST" }, "reserved"},
		{"bad function", func(a *Alias) { a.Function = "Greet" }, "function name"},
		{"long description", func(a *Alias) { a.Description = strings.Repeat("x", 257) }, "over 256"},
	}
	for _, tt := range tests {
		a := ok
		tt.edit(&a)
		err := a.Validate()
		if tt.err == "" && err != nil || tt.err != "" && (ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.err)
		}
	}
}

// FuzzParseQualifier: any qualifier (from a URL, a host or an Invoke API
// call: untrusted) parses to a qualifier that spells itself back, or is
// refused as EINVALID; an alias name that parses is one ValidateAliasName
// accepts, so it is a DNS label fragment safe in ALIAS--NAME.DOMAIN.
func FuzzParseQualifier(f *testing.F) {
	for _, s := range []string{"", "$LATEST", "live", "3", "03", "canary", "a--b", "Prod", "1a", "9999999999", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQualifier(s)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("ParseQualifier(%q): %v is not EINVALID", s, err)
			}
			return
		}
		if q.Alias != "" && q.Version != 0 {
			t.Fatalf("ParseQualifier(%q) = %+v: both an alias and a version", s, q)
		}
		if q.Alias != "" {
			if err := ValidateAliasName(q.Alias); err != nil {
				t.Fatalf("ParseQualifier(%q) accepted alias %q that ValidateAliasName refuses: %v", s, q.Alias, err)
			}
		}
		back, err := ParseQualifier(q.String())
		if err != nil || back != q {
			t.Fatalf("ParseQualifier(%q) = %+v; its String %q reads back as %+v, %v", s, q, q.String(), back, err)
		}
	})
}
