package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// aliasesOf renders fn's aliases as name=version[+additional@weight].
func aliasesOf(t *testing.T, fs *FunctionStore, fn string) string {
	t.Helper()
	as, err := fs.ListAliases(context.Background(), fn)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range as {
		s := fmt.Sprintf("%s=%d", a.Name, a.Version)
		if a.AdditionalVersion != 0 {
			s += fmt.Sprintf("+%d@%g", a.AdditionalVersion, a.Weight)
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestAliasesFollowTheActiveVersion(t *testing.T) {
	ctx := context.Background()
	fs := NewFunctionStore(openTestDB(t))
	mustPublish(t, fs, testVersion("greet", 1))
	if got := aliasesOf(t, fs, "greet"); got != "live=1" {
		t.Fatalf("after the first deploy: %s, want live=1", got)
	}
	if err := fs.AddVersion(ctx, testVersion("greet", 2)); err != nil {
		t.Fatal(err)
	}
	if f, _ := fs.FindFunction(ctx, "greet"); f.ActiveVersion != 1 {
		t.Fatalf("AddVersion activated version %d", f.ActiveVersion)
	}
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"canary", func() error {
			return fs.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "live", Version: 1, AdditionalVersion: 2, Weight: 0.1})
		}, "live=1+2@0.1"},
		{"another alias", func() error {
			return fs.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "beta", Version: 2, Description: "next"})
		}, "live=1+2@0.1 beta=2"},
		{"rollback clears the split", func() error { return fs.ActivateVersion(ctx, "greet", 2) }, "live=2 beta=2"},
		{"live moves the active version", func() error {
			return fs.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "live", Version: 1, AdditionalVersion: 2, Weight: 0.5})
		}, "live=1+2@0.5 beta=2"},
		{"a deploy clears the split", func() error { return fs.PublishVersion(ctx, testVersion("greet", 3)) }, "live=3 beta=2"},
		{"delete", func() error { return fs.DeleteAlias(ctx, "greet", "beta") }, "live=3"},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := aliasesOf(t, fs, "greet"); got != s.want {
			t.Fatalf("%s: %s, want %s", s.name, got, s.want)
		}
		if f, _ := fs.FindFunction(ctx, "greet"); !strings.HasPrefix(s.want, fmt.Sprintf("live=%d", f.ActiveVersion)) {
			t.Fatalf("%s: active version %d, aliases %s", s.name, f.ActiveVersion, s.want)
		}
	}
	a, err := fs.FindAlias(ctx, "greet", "live")
	if err != nil || a.Version != 3 || a.CreatedAt.IsZero() || a.UpdatedAt.Before(a.CreatedAt) {
		t.Fatalf("FindAlias(live) = %+v, %v", a, err)
	}
	if err := fs.DeleteFunction(ctx, "greet"); err != nil {
		t.Fatalf("DeleteFunction with aliases: %v", err)
	}
	if _, err := fs.ListAliases(ctx, "greet"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Fatalf("aliases of a deleted function: %v", err)
	}
}

func TestAliasErrors(t *testing.T) {
	ctx := context.Background()
	fs := NewFunctionStore(openTestDB(t))
	mustPublish(t, fs, testVersion("greet", 1))
	tests := []struct {
		name string
		err  error
		code string
		msg  string
	}{
		{"unknown version", fs.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "beta", Version: 7}), lambda.ENOTFOUND, "version 7"},
		{"unknown additional version", fs.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "beta", Version: 1, AdditionalVersion: 2, Weight: 0.5}), lambda.ENOTFOUND, "version 2"},
		{"unknown function", fs.SetAlias(ctx, &lambda.Alias{Function: "nope", Name: "beta", Version: 1}), lambda.ENOTFOUND, `function "nope"`},
		{"weight over 1", fs.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "beta", Version: 1, AdditionalVersion: 2, Weight: 1.5}), lambda.EINVALID, "outside 0-1"},
		{"numeric name", fs.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "12", Version: 1}), lambda.EINVALID, "version number"},
		{"find unknown", func() error { _, err := fs.FindAlias(ctx, "greet", "beta"); return err }(), lambda.ENOTFOUND, `no alias "beta"`},
		{"delete unknown", fs.DeleteAlias(ctx, "greet", "beta"), lambda.ENOTFOUND, `no alias "beta"`},
		{"delete live", fs.DeleteAlias(ctx, "greet", "live"), lambda.ECONFLICT, "cannot be deleted"},
		{"add to unknown function", fs.AddVersion(ctx, testVersion("nope", 1)), lambda.ENOTFOUND, `function "nope"`},
		{"add existing version", fs.AddVersion(ctx, testVersion("greet", 1)), lambda.ECONFLICT, "already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkErr(t, tt.err, tt.code, tt.msg) })
	}
	if got := aliasesOf(t, fs, "greet"); got != "live=1" {
		t.Fatalf("after refused changes: %s", got)
	}
}
