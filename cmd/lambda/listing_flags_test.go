package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// notListings are the commands with -o whose answer is one thing, not a
// list of rows: -o json is all they take. A command added with -o must
// be one of these or a listing (-o table|json|yaml and --quiet), so that
// a new listing cannot slip in without the flags every listing takes.
var notListings = map[string]bool{
	"config": true, "deploy": true, "describe": true, "invocation": true, "invocations get": true,
	"invoke": true, "keys create": true, "keys revoke": true, "login": true, "logs": true,
	"project hook": true, "promote": true, "alias set": true, "redrive": true, "rollback": true, "schedule": true, "version": true,
}

// noNames are the listings whose rows have neither a name nor an ID (an
// audit entry, a stats bucket): --quiet would have nothing to print.
var noNames = map[string]bool{"audit": true, "stats": true}

// TestEveryListingTakesYAMLAndQuiet walks the command tree (not a list
// kept by hand): every command with -o is either a listing — -o yaml and
// -q/--quiet — or named in notListings. A command that lists with a
// --list flag (lambda init --list) is a listing in that mode.
func TestEveryListingTakesYAMLAndQuiet(t *testing.T) {
	root := newRootCommand(&streams{})
	walkCommands(root, func(c *cobra.Command) {
		path := strings.TrimPrefix(c.CommandPath(), "lambda ")
		out := c.Flags().Lookup("output")
		if out == nil {
			return
		}
		listing := strings.Contains(out.Usage, "yaml")
		if !listing && !notListings[path] || c.Flags().Lookup("list") != nil {
			listing = true
		}
		if !listing {
			return
		}
		if !strings.Contains(out.Usage, "yaml") {
			t.Errorf("lambda %s lists, but its -o takes no yaml (%q): register it with addListFlags, or add it to notListings", path, out.Usage)
		}
		if q := c.Flags().Lookup("quiet"); (q == nil || q.Shorthand != "q") && !noNames[path] {
			t.Errorf("lambda %s lists, but has no -q/--quiet: register it with addListFlags", path)
		}
	})
}

// lambda init --list, the offline listing of the templates, prints them
// as YAML (the same document as -o json) and their names alone with -q.
func TestInitListYAMLAndQuiet(t *testing.T) {
	jsonOut, stderr, code := runCLI(t, "", "", "init", "--list", "-o", "json")
	if code != 0 {
		t.Fatalf("init --list -o json: exit %d, %s", code, stderr)
	}
	yamlOut, stderr, code := runCLI(t, "", "", "init", "--list", "-o", "yaml")
	if code != 0 {
		t.Fatalf("init --list -o yaml: exit %d, %s", code, stderr)
	}
	var fromJSON, fromYAML any
	if err := json.Unmarshal([]byte(jsonOut), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(yamlOut), &fromYAML); err != nil {
		t.Fatalf("init --list -o yaml does not parse: %v\n%s", err, yamlOut)
	}
	a, _ := json.Marshal(fromJSON)
	b, _ := json.Marshal(fromYAML)
	if !bytes.Equal(a, b) {
		t.Errorf("-o yaml holds %s, -o json %s", b, a)
	}
	quiet, stderr, code := runCLI(t, "", "", "init", "--list", "-q")
	if code != 0 || !strings.HasPrefix(quiet, "go-http\ngo-aws\n") || !strings.Contains(quiet, "\nproject-node\n") || strings.Contains(quiet, " ") {
		t.Errorf("init --list -q: exit %d, %q %s", code, quiet, stderr)
	}
	// --quiet names templates: without --list it has nothing to do.
	if _, stderr, code := runCLI(t, "", "", "init", t.TempDir()+"/x", "--runtime", "go", "-q"); code == 0 || !strings.Contains(stderr, "--quiet") {
		t.Errorf("init DIR -q: exit %d, %q", code, stderr)
	}
}
