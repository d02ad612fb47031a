package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestDeleteVersion(t *testing.T) {
	ctx := context.Background()
	fs := NewFunctionStore(openTestDB(t))
	for n := 1; n <= 4; n++ {
		mustPublish(t, fs, testVersion("greet", n))
	}
	if err := fs.SetAlias(ctx, &lambda.Alias{Function: "greet", Name: "beta", Version: 2}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what   string
		number int
		code   string
		msg    string
	}{
		{"active", 4, lambda.ECONFLICT, "active version"},
		{"an alias's", 2, lambda.ECONFLICT, "[beta]"},
		{"missing", 9, lambda.ENOTFOUND, "version 9"},
		{"old", 1, "", ""},
		{"old again", 1, lambda.ENOTFOUND, "version 1"},
	} {
		err := fs.DeleteVersion(ctx, "greet", tc.number)
		if lambda.ErrorCode(err) != tc.code && !(tc.code == "" && err == nil) || err != nil && !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q %q", tc.what, err, tc.code, tc.msg)
		}
	}
	if err := fs.DeleteVersion(ctx, "nosuch", 1); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Errorf("unknown function: %v", err)
	}
	vs, err := fs.ListVersions(ctx, "greet")
	if err != nil || len(vs) != 3 || vs[0].Number != 2 {
		t.Fatalf("versions after deleting 1: %v %v", vs, err)
	}
}
