package runtimes

import (
	"bufio"
	"path"
	"strings"
)

// depGroup is one dependency of a package: alternatives, the first
// preferred ("a | b"). A virtual alternative lists its providers.
type depGroup []depAlt

type depAlt struct {
	name      string
	virtual   bool
	providers []string
}

// parseDepends reads the output of `apt-cache depends` (without
// --recurse): a line per package, then its dependencies indented, " |"
// marking an alternative that continues on the next line and <name> a
// virtual package whose providers follow, indented further.
func parseDepends(out string) map[string][]depGroup {
	deps := make(map[string][]depGroup)
	var pkg string
	var group depGroup
	open := false // the last alternative ended with "|"
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
		case !strings.HasPrefix(line, " "):
			pkg, group, open = strings.TrimSpace(line), nil, false
			if _, ok := deps[pkg]; !ok {
				deps[pkg] = nil
			}
		case strings.HasPrefix(line, "    "):
			// A provider of the virtual package just listed. The group
			// shares its array with the one stored in deps.
			if len(group) > 0 && group[len(group)-1].virtual {
				alt := &group[len(group)-1]
				alt.providers = append(alt.providers, strings.TrimSpace(line))
			}
		default:
			field := strings.TrimSpace(line)
			alternative := strings.HasPrefix(field, "|")
			field = strings.TrimPrefix(field, "|")
			kind, name, ok := strings.Cut(field, ": ")
			if !ok || (kind != "Depends" && kind != "PreDepends") || pkg == "" {
				continue
			}
			alt := depAlt{name: strings.TrimSpace(name)}
			if strings.HasPrefix(alt.name, "<") && strings.HasSuffix(alt.name, ">") {
				alt.virtual, alt.name = true, alt.name[1:len(alt.name)-1]
			}
			if !open {
				group = nil
			}
			group = append(group, alt)
			open = alternative
			if !open {
				deps[pkg] = append(deps[pkg], group)
			}
		}
	}
	return deps
}

// pick chooses the package that satisfies g, "" when none is needed: a
// group with an excluded or already chosen alternative is satisfied as is
// (excluded packages only matter to maintainer scripts, which never run).
func (g depGroup) pick(chosen map[string]bool, excluded func(string) bool) string {
	for _, a := range g {
		if excluded(a.name) || chosen[a.name] {
			return ""
		}
		for _, p := range a.providers {
			if chosen[p] {
				return ""
			}
		}
	}
	for _, a := range g {
		if !a.virtual {
			return a.name
		}
		for _, p := range a.providers {
			if !excluded(p) {
				return p
			}
		}
	}
	return ""
}

// excludePatterns are packages a function image never needs: package
// management and maintainer-script helpers, documentation, headers, and
// the CA bundle generator (the host's bundle is copied in instead).
var excludePatterns = []string{
	"debconf", "cdebconf", "debconf-2.0", "dpkg", "install-info", "tar", "ucf", "adduser", "passwd", "login",
	"perl", "perl-base", "perl-modules-*", "libperl*", "init-system-helpers", "lsb-base", "sensible-utils",
	"ca-certificates", "openssl", "mailcap", "mime-support", "libdebian-installer*", "libnewt*", "libslang*",
	"libtextwrap*", "*-dev", "*-doc", "*-dbg",
}

// excluder returns whether a package is left out, from the common
// patterns plus extra ones for one image.
func excluder(extra []string) func(string) bool {
	patterns := append(append([]string(nil), excludePatterns...), extra...)
	return func(name string) bool {
		for _, p := range patterns {
			if ok, _ := path.Match(p, name); ok {
				return true
			}
		}
		return false
	}
}
