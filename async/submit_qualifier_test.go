package async

import (
	"context"
	"testing"

	"github.com/lambdahq/lambda"
)

type lookupFunc func(ctx context.Context, name string) (lambda.ActiveFunction, error)

func (f lookupFunc) LookupFunction(ctx context.Context, name string) (lambda.ActiveFunction, error) {
	return f(ctx, name)
}

type checkerFunc func(ctx context.Context, function, qualifier string) error

func (f checkerFunc) CheckQualifier(ctx context.Context, function, qualifier string) error {
	return f(ctx, function, qualifier)
}

// TestCheckFunctionQualifier: an event for an alias or another version is
// accepted when the QualifierChecker knows it (each attempt then runs
// there), refused with its answer when it does not, and refused as before
// when the queue has no checker.
func TestCheckFunctionQualifier(t *testing.T) {
	lookup := lookupFunc(func(ctx context.Context, name string) (lambda.ActiveFunction, error) {
		return lambda.ActiveFunction{Name: name, Version: 3}, nil
	})
	var asked []string
	checker := checkerFunc(func(ctx context.Context, function, qualifier string) error {
		asked = append(asked, qualifier)
		switch qualifier {
		case "canary", "2":
			return nil
		}
		return lambda.Errorf(lambda.ENOTFOUND, "function %q has no alias %q", function, qualifier)
	})
	for _, tc := range []struct {
		qualifier string
		checker   bool
		want      string // error code, "" accepted
		asks      bool   // the checker is asked
	}{
		{"", true, "", false},
		{"$LATEST", true, "", false},
		{"live", true, "", false},
		{"3", true, "", false},
		{"canary", true, "", true},
		{"2", true, "", true},
		{"gone", true, lambda.ENOTFOUND, true},
		{"9", true, lambda.ENOTFOUND, true},
		{"Bad Alias", true, lambda.EINVALID, false},
		{"canary", false, lambda.EINVALID, false},
		{"2", false, lambda.EINVALID, false},
	} {
		asked = nil
		q := &Queue{Lookup: lookup}
		if tc.checker {
			q.Qualifiers = checker
		}
		_, err := q.checkFunction(context.Background(), "fn", tc.qualifier)
		if got := lambda.ErrorCode(err); tc.want == "" && err != nil || tc.want != "" && got != tc.want {
			t.Errorf("qualifier %q (checker %v): %v, want code %q", tc.qualifier, tc.checker, err, tc.want)
		}
		if (len(asked) > 0) != tc.asks {
			t.Errorf("qualifier %q (checker %v): checker asked %v, want asked %v", tc.qualifier, tc.checker, asked, tc.asks)
		}
	}
}
