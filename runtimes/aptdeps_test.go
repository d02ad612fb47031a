package runtimes

import (
	"reflect"
	"testing"
)

// aptDependsOutput is `apt-cache depends` output (trimmed) for a few
// packages: plain dependencies, an or-group whose first member is a real
// package, and virtual packages with providers.
const aptDependsOutput = `python3
  PreDepends: python3-minimal
  Depends: python3.11
  Depends: libpython3-stdlib
ca-certificates
  Depends: openssl
 |Depends: debconf
  Depends: <debconf-2.0>
    cdebconf
    debconf
npm
  Depends: ca-certificates
  Depends: <node-cli-table3>
    node-cli-table
  Depends: node-gyp
 |Depends: libfoo
  Depends: libbar
<debconf-2.0>
`

func TestParseDepends(t *testing.T) {
	got := parseDepends(aptDependsOutput)
	want := map[string][]depGroup{
		"python3": {{{name: "python3-minimal"}}, {{name: "python3.11"}}, {{name: "libpython3-stdlib"}}},
		"ca-certificates": {{{name: "openssl"}},
			{{name: "debconf"}, {name: "debconf-2.0", virtual: true, providers: []string{"cdebconf", "debconf"}}}},
		"npm": {{{name: "ca-certificates"}}, {{name: "node-cli-table3", virtual: true, providers: []string{"node-cli-table"}}},
			{{name: "node-gyp"}}, {{name: "libfoo"}, {name: "libbar"}}},
		"<debconf-2.0>": nil,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseDepends =\n%#v\nwant\n%#v", got, want)
	}
}

func TestDepGroupPick(t *testing.T) {
	excluded := excluder([]string{"node-gyp"})
	deps := parseDepends(aptDependsOutput)
	tests := []struct {
		pkg    string
		i      int
		chosen map[string]bool
		want   string
	}{
		{"python3", 1, nil, "python3.11"},
		{"ca-certificates", 0, nil, ""},                              // openssl is excluded
		{"ca-certificates", 1, nil, ""},                              // a group with an excluded member is satisfied
		{"npm", 1, nil, "node-cli-table"},                            // a virtual: its first provider
		{"npm", 2, nil, ""},                                          // excluded for this image
		{"npm", 3, nil, "libfoo"},                                    // the first alternative
		{"npm", 3, map[string]bool{"libbar": true}, ""},              // an alternative already chosen
		{"npm", 1, map[string]bool{"node-cli-table": true}, ""},      // a provider already chosen
		{"python3", 0, map[string]bool{"python3-minimal": true}, ""}, // already chosen
		{"npm", 0, map[string]bool{"ca-certificates": false}, ""},    // excluded by the common list
	}
	for _, tt := range tests {
		chosen := tt.chosen
		if chosen == nil {
			chosen = map[string]bool{}
		}
		if got := deps[tt.pkg][tt.i].pick(chosen, excluded); got != tt.want {
			t.Errorf("%s group %d: pick = %q, want %q", tt.pkg, tt.i, got, tt.want)
		}
	}
	for name, want := range map[string]bool{"perl-base": true, "perl-modules-5.36": true, "libperl5.36": true, "libssl-dev": true,
		"python3-doc": true, "debconf": true, "libssl3": false, "python3": false, "nodejs": false, "dash": false} {
		if excluded(name) != want {
			t.Errorf("excluded(%s) = %v, want %v", name, !want, want)
		}
	}
}

func TestFirstArg(t *testing.T) {
	if got := firstArg([]string{"-o", "Dir::State::status=/x", "-q", "download", "python3"}); got != "download" {
		t.Fatalf("firstArg = %q", got)
	}
}
