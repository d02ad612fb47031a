package runtimes

import (
	"strings"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/lambdahq/lambda"
)

func TestSDKGoMod(t *testing.T) {
	const standIn = "/tmp/lambda-go-build-1/sdk-module"
	tests := []struct {
		name  string
		in    string
		keep  []string // other lines that must survive
		noRep string   // a replace that must be gone
	}{
		{name: "example with ../..", in: "module example.com/f\n\ngo 1.26\n\nrequire github.com/lambdahq/lambda v0.0.0\n\nreplace github.com/lambdahq/lambda => ../..\n",
			keep: []string{"module example.com/f", "go 1.26"}, noRep: "../.."},
		{name: "versioned replace", in: "module example.com/f\n\ngo 1.26\n\nrequire github.com/lambdahq/lambda v1.2.3\n\nreplace github.com/lambdahq/lambda v1.2.3 => github.com/fork/lambda v1.2.4\n",
			keep: []string{"require github.com/lambdahq/lambda v1.2.3"}, noRep: "github.com/fork/lambda"},
		{name: "no require: added", in: "module example.com/f\n\ngo 1.26\n"},
		{name: "other requires and replaces kept", in: "module example.com/f\n\ngo 1.26\n\nrequire (\n\texample.com/lib v0.0.0\n\tgithub.com/lambdahq/lambda v0.0.0\n)\n\nreplace example.com/lib => ./lib\n",
			keep: []string{"example.com/lib v0.0.0", "replace example.com/lib => ./lib"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := sdkGoMod([]byte(tt.in), standIn)
			if err != nil {
				t.Fatal(err)
			}
			f, err := modfile.Parse("go.mod", out, nil)
			if err != nil {
				t.Fatalf("rewritten go.mod does not parse: %v\n%s", err, out)
			}
			reps := 0
			for _, r := range f.Replace {
				if r.Old.Path == sdkModule {
					reps++
					if r.Old.Version != "" || r.New.Path != standIn || r.New.Version != "" {
						t.Errorf("replace = %v, want %s => %s", r.Syntax.Token, sdkModule, standIn)
					}
				}
			}
			if reps != 1 || !requires(f, sdkModule) {
				t.Errorf("%d replaces of the SDK module, requires it: %v\n%s", reps, requires(f, sdkModule), out)
			}
			for _, k := range tt.keep {
				if !strings.Contains(string(out), k) {
					t.Errorf("rewritten go.mod lost %q:\n%s", k, out)
				}
			}
			if tt.noRep != "" && strings.Contains(string(out), tt.noRep) {
				t.Errorf("rewritten go.mod still has %q:\n%s", tt.noRep, out)
			}
		})
	}
	if _, err := sdkGoMod([]byte("modul x\n"), standIn); lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), "go.mod is invalid") {
		t.Fatalf("bad go.mod: %v", err)
	}
}

func TestCheckReplaces(t *testing.T) {
	tests := []struct {
		replace string
		skip    string
		bad     bool
	}{
		{replace: "example.com/lib => ./lib"},
		{replace: "example.com/lib => ./lib/../lib2"},
		{replace: "example.com/lib v1.0.0 => example.com/fork v1.0.1"},
		{replace: "example.com/lib => ../lib", bad: true},
		{replace: "example.com/lib => ./lib/../../x", bad: true},
		{replace: "example.com/lib => /srv/lambda", bad: true},
		{replace: "github.com/lambdahq/lambda => ../..", skip: sdkModule},
		{replace: "github.com/lambdahq/lambda => ../..", bad: true},
	}
	for _, tt := range tests {
		f, err := parseGoMod([]byte("module example.com/f\n\ngo 1.26\n\nreplace " + tt.replace + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		err = checkReplaces(f, tt.skip)
		if tt.bad != (err != nil) {
			t.Errorf("replace %s (skip %q): err = %v, want bad=%v", tt.replace, tt.skip, err, tt.bad)
		}
		if err != nil && !strings.Contains(err.Error(), "outside the function") {
			t.Errorf("replace %s: error %q does not say why", tt.replace, err)
		}
	}
}

// FuzzSDKGoMod feeds untrusted go.mod files to the rewrite: it either
// refuses them as invalid or yields a go.mod that parses and points the
// SDK module at the stand-in.
func FuzzSDKGoMod(f *testing.F) {
	f.Add("module example.com/f\n\ngo 1.26\n\nrequire github.com/lambdahq/lambda v0.0.0\n\nreplace github.com/lambdahq/lambda => ../..\n")
	f.Add("module x\nreplace (\n\tgithub.com/lambdahq/lambda v1 => ./a\n\tgithub.com/lambdahq/lambda => ./b\n)\n")
	f.Add("modul x\n")
	f.Fuzz(func(t *testing.T, in string) {
		out, err := sdkGoMod([]byte(in), "/stand/in")
		if err != nil {
			if lambda.ErrorCode(err) != lambda.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		g, err := modfile.Parse("go.mod", out, nil)
		if err != nil {
			t.Fatalf("rewrite of %q does not parse: %v\n%s", in, err, out)
		}
		for _, r := range g.Replace {
			if r.Old.Path == sdkModule && r.New.Path != "/stand/in" {
				t.Fatalf("rewrite of %q keeps replace %s => %s", in, r.Old.Path, r.New.Path)
			}
		}
	})
}
