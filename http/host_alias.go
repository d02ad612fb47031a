package http

import (
	"net/http"
	"strings"

	"github.com/lambdahq/lambda"
)

// Function addresses with a qualifier (an alias or a version number):
// ALIAS--NAME.DOMAIN and /fn/NAME@ALIAS/…. A function's URL without one
// goes to live, as before aliases existed.

// qualifiedHost splits the label of a function's host, as
// functionFromHost returned it, into the function and the qualifier
// before its first "--": "canary--greet" is alias canary of greet,
// "3--greet" its version 3. An alias name cannot hold "--"
// (lambda.ValidateAliasName); a function whose own name does answers at
// live--NAME.DOMAIN.
func qualifiedHost(label string) (name, qualifier string, err error) {
	i := strings.Index(label, "--")
	if i < 0 {
		return label, "", nil
	}
	name, qualifier = label[i+2:], label[:i]
	if err := lambda.ValidateName(name); err != nil {
		return "", "", lambda.Errorf(lambda.EINVALID, "host label %q is not ALIAS--NAME: %w", label, err)
	}
	if _, err := lambda.ParseQualifier(qualifier); err != nil {
		return "", "", err
	}
	return name, qualifier, nil
}

// qualifiedPath splits the function segment of /fn/NAME@QUALIFIER/….
func qualifiedPath(segment string) (name, qualifier string, err error) {
	name, qualifier, found := strings.Cut(segment, "@")
	if err := lambda.ValidateName(name); err != nil {
		return "", "", err
	}
	if !found {
		return name, "", nil
	}
	if qualifier == "" {
		return "", "", lambda.Errorf(lambda.EINVALID, "%q ends in '@' without an alias or version: use /fn/NAME@ALIAS or /fn/NAME@VERSION", segment)
	}
	if _, err := lambda.ParseQualifier(qualifier); err != nil {
		return "", "", err
	}
	return name, qualifier, nil
}

// withQualifier returns r with its context carrying qualifier q for the
// router ("": r itself, no allocation for the plain case).
func withQualifier(r *http.Request, q string) *http.Request {
	if q == "" {
		return r
	}
	return r.WithContext(lambda.WithQualifier(r.Context(), q))
}
