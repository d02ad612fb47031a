package http

import (
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestParseFunctionName(t *testing.T) {
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:"
	tests := []struct {
		in, name, qualifier string
		errHas              string // "" means valid
	}{
		{in: "greet", name: "greet"},
		{in: "greet:7", name: "greet", qualifier: "7"},
		{in: "greet:$LATEST", name: "greet", qualifier: "$LATEST"},
		{in: "greet:prod_A-1", name: "greet", qualifier: "prod_A-1"},
		{in: arn + "greet", name: "greet"},
		{in: arn + "greet:3", name: "greet", qualifier: "3"},
		{in: "arn:aws-cn:lambda:cn-north-1:123456789012:function:greet:$LATEST", name: "greet", qualifier: "$LATEST"},
		{in: "123456789012:function:greet", name: "greet"},
		{in: "123456789012:function:greet:2", name: "greet", qualifier: "2"},
		{in: "arn", name: "arn"},
		{in: "arn:1", name: "arn", qualifier: "1"},
		{in: "", errHas: "empty"},
		{in: "Greet", errHas: "contains 'G'"},
		{in: "greet:", errHas: "without a qualifier"},
		{in: "greet:a:b", errHas: "too many ':'"},
		{in: "greet:pr.od", errHas: "contains '.'"},
		{in: "greet:" + strings.Repeat("q", 129), errHas: "129 characters"},
		{in: "greet/x", errHas: "contains '/'"},
		{in: arn + "greet:1:2", errHas: "not 7 or 8"},
		{in: "arn:aws:s3:us-east-1:000000000000:function:greet", errHas: "not a Lambda function ARN"},
		{in: "arn:aws:lambda::000000000000:function:greet", errHas: "not a Lambda function ARN"},
		{in: "arn:aws:lambda:us-east-1:12:function:greet", errHas: "12 digits"},
		{in: "arn:aws:lambda:us-east-1:000000000000:layer:greet", errHas: "not a Lambda function ARN"},
		{in: arn, errHas: "function name is empty"},
		{in: "12345:function:greet", errHas: "partial ARN"},
		{in: strings.Repeat("a", 300), errHas: "300 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ref, err := parseFunctionName(tt.in)
			if tt.errHas != "" {
				if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("parseFunctionName(%q) = %+v, %v; want an invalid error with %q", tt.in, ref, err, tt.errHas)
				}
				return
			}
			if err != nil || ref.Name != tt.name || ref.Qualifier != tt.qualifier {
				t.Fatalf("parseFunctionName(%q) = %+v, %v; want %s:%s", tt.in, ref, err, tt.name, tt.qualifier)
			}
		})
	}
}

func TestMergeQualifier(t *testing.T) {
	tests := []struct {
		name, query, want string
		ok                bool
	}{
		{"", "", "", true},
		{"", "5", "5", true},
		{"5", "", "5", true},
		{"5", "5", "5", true},
		{"5", "6", "", false},
		{"", "$LATEST", "$LATEST", true},
		{"", "a b", "", false},
	}
	for _, tt := range tests {
		ref, err := mergeQualifier(functionRef{Name: "greet", Qualifier: tt.name}, tt.query)
		if (err == nil) != tt.ok || (tt.ok && ref.Qualifier != tt.want) {
			t.Errorf("mergeQualifier(%q, %q) = %+v, %v", tt.name, tt.query, ref, err)
		}
	}
}

func TestVersionNumber(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"1", 1, true}, {"42", 42, true}, {"0", 0, false}, {"007", 0, false},
		{"-1", 0, false}, {"+1", 0, false}, {"prod", 0, false}, {"", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		if n, ok := versionNumber(tt.in); n != tt.want && tt.ok || ok != tt.ok {
			t.Errorf("versionNumber(%q) = %d, %v", tt.in, n, ok)
		}
	}
}

// FuzzParseFunctionName checks that any FunctionName either fails with a
// clear invalid error or yields a valid name and qualifier that parse back
// to themselves.
func FuzzParseFunctionName(f *testing.F) {
	for _, s := range []string{"greet", "greet:7", "greet:$LATEST", "arn:aws:lambda:us-east-1:000000000000:function:greet:3",
		"123456789012:function:greet", "arn", "a:b:c", "greet:", ":", "arn:aws:lambda:x:1:function:y", "Ä:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := parseFunctionName(s)
		if err != nil {
			if lambda.ErrorCode(err) != lambda.EINVALID || err.Error() == "" {
				t.Fatalf("parseFunctionName(%q): error %v has code %q", s, err, lambda.ErrorCode(err))
			}
			return
		}
		if lambda.ValidateName(ref.Name) != nil || validateQualifier(ref.Qualifier) != nil {
			t.Fatalf("parseFunctionName(%q) = %+v: invalid parts accepted", s, ref)
		}
		short := ref.Name
		if ref.Qualifier != "" {
			short += ":" + ref.Qualifier
		}
		if again, err := parseFunctionName(short); err != nil || again != ref {
			t.Fatalf("%q parsed as %+v, but %q parses as %+v, %v", s, ref, short, again, err)
		}
	})
}
