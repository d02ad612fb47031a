package http

import (
	"strings"

	"github.com/lambdahq/lambda"
)

// latest is the qualifier Lambda clients use for "the current code".
const latest = "$LATEST"

// functionRef is a parsed Invoke API FunctionName: the function and, when
// the name carried one, its qualifier (a version number, "$LATEST" or an
// alias name).
type functionRef struct {
	Name      string
	Qualifier string
}

// parseFunctionName accepts the forms the Lambda API does:
//
//	NAME
//	NAME:QUALIFIER
//	ACCOUNT:function:NAME[:QUALIFIER]
//	arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
//
// Region and account are checked for shape only: this server is one region of
// one account, so any ARN a client copied (for instance from the
// Lambda-Runtime-Invoked-Function-Arn header) addresses it.
func parseFunctionName(s string) (functionRef, error) {
	const forms = "use NAME, NAME:QUALIFIER or arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]"
	if s == "" {
		return functionRef{}, lambda.Errorf(lambda.EINVALID, "function name is empty: %s", forms)
	}
	if len(s) > 256 {
		return functionRef{}, lambda.Errorf(lambda.EINVALID, "function name %.20q... is %d characters long: %s", s, len(s), forms)
	}
	parts := strings.Split(s, ":")
	var ref functionRef
	qualified := false // the name ends in ":QUALIFIER"
	switch {
	case parts[0] == "arn" && len(parts) > 2: // "arn" and "arn:1" are a function named arn

		if len(parts) != 7 && len(parts) != 8 {
			return functionRef{}, lambda.Errorf(lambda.EINVALID, "function ARN %q has %d ':'-separated parts, not 7 or 8: %s", s, len(parts), forms)
		}
		if !strings.HasPrefix(parts[1], "aws") || parts[2] != "lambda" || parts[3] == "" || parts[5] != "function" {
			return functionRef{}, lambda.Errorf(lambda.EINVALID, "function ARN %q is not a Lambda function ARN: %s", s, forms)
		}
		if !isAccountID(parts[4]) {
			return functionRef{}, lambda.Errorf(lambda.EINVALID, "function ARN %q has account %q: an account ID is 12 digits", s, parts[4])
		}
		ref.Name = parts[6]
		qualified = len(parts) == 8
	case len(parts) >= 3 && parts[1] == "function":
		if len(parts) > 4 || !isAccountID(parts[0]) {
			return functionRef{}, lambda.Errorf(lambda.EINVALID, "function name %q is not a valid partial ARN ACCOUNT:function:NAME[:QUALIFIER]: %s", s, forms)
		}
		ref.Name = parts[2]
		qualified = len(parts) == 4
	case len(parts) <= 2:
		ref.Name = parts[0]
		qualified = len(parts) == 2
	default:
		return functionRef{}, lambda.Errorf(lambda.EINVALID, "function name %q has too many ':': %s", s, forms)
	}
	if err := lambda.ValidateName(ref.Name); err != nil {
		return functionRef{}, err
	}
	if qualified {
		ref.Qualifier = parts[len(parts)-1]
		if ref.Qualifier == "" {
			return functionRef{}, lambda.Errorf(lambda.EINVALID, "function name %q ends in ':' without a qualifier: add $LATEST or a version number, or drop the ':'", s)
		}
	}
	if err := validateQualifier(ref.Qualifier); err != nil {
		return functionRef{}, err
	}
	return ref, nil
}

// validateQualifier checks q is "", $LATEST, or a version number or alias
// name as Lambda spells them (letters, digits, '-' and '_', up to 128).
func validateQualifier(q string) error {
	const rule = "use $LATEST, a version number or an alias name (letters, digits, '-' and '_')"
	if q == "" || q == latest {
		return nil
	}
	if len(q) > 128 {
		return lambda.Errorf(lambda.EINVALID, "qualifier %.20q... is %d characters long: %s", q, len(q), rule)
	}
	for _, r := range q {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_' {
			return lambda.Errorf(lambda.EINVALID, "qualifier %q contains %q: %s", q, r, rule)
		}
	}
	return nil
}

// mergeQualifier combines the qualifier of the name with the Qualifier
// query parameter; Lambda refuses two that differ.
func mergeQualifier(ref functionRef, query string) (functionRef, error) {
	if err := validateQualifier(query); err != nil {
		return functionRef{}, err
	}
	switch {
	case query == "":
	case ref.Qualifier == "":
		ref.Qualifier = query
	case ref.Qualifier != query:
		return functionRef{}, lambda.Errorf(lambda.EINVALID, "the qualifier in the function name (%q) does not match the Qualifier parameter (%q): give one of them", ref.Qualifier, query)
	}
	return ref, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
