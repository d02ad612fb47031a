package main

import (
	"strings"

	"github.com/lambdahq/lambda"
)

// splitQualifier reads NAME:QUALIFIER into the function's name and
// o.qualifier, which --qualifier may also set (to the same value).
func (o *invokeOptions) splitQualifier(arg string) (string, error) {
	name, q, found := strings.Cut(arg, ":")
	if found {
		if q == "" {
			return "", usageErrorf("%q ends in ':' without an alias or version: use NAME:ALIAS or NAME:VERSION", arg)
		}
		if o.qualifier != "" && o.qualifier != q {
			return "", usageErrorf("%q names qualifier %q and --qualifier %q: give one of them", arg, q, o.qualifier)
		}
		o.qualifier = q
	}
	if _, err := lambda.ParseQualifier(o.qualifier); err != nil {
		return "", usageErrorf("%w", err)
	}
	return name, nil
}
