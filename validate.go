package lambda

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// ValidateName checks that name can serve as a function name: a DNS label
// ([a-z0-9-], 1-63 characters, no leading or trailing dash), so that
// NAME.DOMAIN is a valid host and the name is safe in image tags and labels.
func ValidateName(name string) error { return validateLabel("function name", name) }

// ValidateProjectName checks a project's name by the rules of a function's
// (its functions may be named PROJECT-NAME), in messages that say project.
func ValidateProjectName(name string) error { return validateLabel("project name", name) }

func validateLabel(what, name string) error {
	const rule = "use 1-63 lowercase letters, digits or dashes, not starting or ending with a dash"
	if name == "" {
		return Errorf(EINVALID, "%s is empty: %s", what, rule)
	}
	if len(name) > 63 {
		return Errorf(EINVALID, "%s %.20q... is %d characters long: %s", what, name, len(name), rule)
	}
	if name[0] == '-' || name[len(name)-1] == '-' {
		return Errorf(EINVALID, "%s %q starts or ends with a dash: %s", what, name, rule)
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return Errorf(EINVALID, "%s %q contains %q: %s", what, name, r, rule)
		}
	}
	return nil
}

// ValidateEnvName checks an environment variable name as POSIX shells do.
func ValidateEnvName(k string) error {
	if k == "" {
		return Errorf(EINVALID, "environment variable name is empty")
	}
	for i, r := range k {
		ok := r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return Errorf(EINVALID, "environment variable name %q is invalid: use letters, digits and _, not starting with a digit", k)
		}
	}
	return nil
}

// ParseBytes parses sizes like "256m", "1g", "512MiB" or "1048576".
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "ib"), "b")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult, t = 1<<10, t[:n-1]
		case 'm':
			mult, t = 1<<20, t[:n-1]
		case 'g':
			mult, t = 1<<30, t[:n-1]
		}
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v <= 0 || v > (1<<62)/mult {
		return 0, Errorf(EINVALID, "size %q is invalid: use a positive number with an optional unit k, m or g (e.g. 256m)", s)
	}
	return v * mult, nil
}

// FormatBytes renders n in the largest binary unit that divides it evenly.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dg", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dm", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dk", n>>10)
	}
	return strconv.FormatInt(n, 10)
}

// Limits of a function's environment, checked before anything is built:
// the container engine would refuse an oversized one only at start.
const (
	MaxEnvBytes     = 4 << 10 // names and values together, as AWS Lambda
	MaxEnvNameBytes = 128
)

// reservedEnvPrefixes and reservedEnv are the variables the platform and
// the shim set in every instance (engine/instance.go, shim/env.go): a
// user's value would be silently overridden.
var (
	reservedEnvPrefixes = []string{"LAMBDA_", "AWS_LAMBDA_"}
	reservedEnv         = map[string]string{
		"PORT":     "the platform sets it to the function's port: use --port (port: in lambda.yaml) to change it",
		"_HANDLER": "the platform sets it from the handler: use --handler (handler: in lambda.yaml)",
	}
)

// ValidateEnv checks a function's environment: valid names, none the
// platform sets itself, no NUL byte, and at most MaxEnvBytes in all.
func ValidateEnv(env map[string]string) error {
	total := 0
	for _, k := range slices.Sorted(maps.Keys(env)) {
		v := env[k]
		if err := ValidateEnvName(k); err != nil {
			return err
		}
		if len(k) > MaxEnvNameBytes {
			return Errorf(EINVALID, "environment variable name %.20q... is %d bytes long: the limit is %d", k, len(k), MaxEnvNameBytes)
		}
		if why, ok := reservedEnv[k]; ok {
			return Errorf(EINVALID, "environment variable %s is reserved: %s", k, why)
		}
		for _, p := range reservedEnvPrefixes {
			if strings.HasPrefix(k, p) {
				return Errorf(EINVALID, "environment variable %s is reserved: names starting with %s are set by the platform", k, p)
			}
		}
		if strings.IndexByte(v, 0) >= 0 {
			return Errorf(EINVALID, "environment variable %s contains a NUL byte", k)
		}
		total += len(k) + len(v)
	}
	if total > MaxEnvBytes {
		return Errorf(EINVALID, "environment is %d bytes (names and values): the limit is %d; keep large values in files of the function", total, MaxEnvBytes)
	}
	return nil
}

// ValidateVersion checks a version number a user names: versions are
// numbered from 1. Where a version is optional ("the previous one"), it is
// left out rather than given as 0.
func ValidateVersion(n int) error {
	if n < 1 {
		return Errorf(EINVALID, "version %d is invalid: versions are numbered from 1; leave the version out for the one before the active version", n)
	}
	return nil
}
