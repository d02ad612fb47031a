package lambda

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// AliasLive is the default alias: the one plain requests (no qualifier,
// or $LATEST) use. Its version is the function's active version, always:
// deploys and rollbacks move it, and setting it moves the active version.
const AliasLive = "live"

// QualifierLatest is the qualifier Lambda clients use for "the current
// code": here the live alias.
const QualifierLatest = "$LATEST"

// Alias names a version of a function, optionally sending a share of its
// traffic to a second version: Lambda's alias, whose RoutingConfig holds at
// most one additional version with its weight.
type Alias struct {
	Function string `json:"function"`
	Name     string `json:"name"`
	// Version gets the traffic AdditionalVersion does not.
	Version int `json:"version"`
	// AdditionalVersion, when not 0, gets Weight (0 to 1) of the alias's
	// requests, chosen at random per request.
	AdditionalVersion int       `json:"additional_version,omitempty"`
	Weight            float64   `json:"weight,omitempty"`
	Description       string    `json:"description,omitempty"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// MaxAliasDescription bounds an alias's description, as on Lambda.
const MaxAliasDescription = 256

// ValidateAliasName checks that name can name an alias: 1-63 lowercase
// letters, digits, '-' or '_', not all digits (that is a version number),
// without "--" (ALIAS--NAME.DOMAIN separates the alias from the function
// with it) and not starting or ending with '-' (a DNS label).
func ValidateAliasName(name string) error {
	const rule = "use 1-63 lowercase letters, digits, '-' or '_', not only digits, without \"--\", not starting or ending with '-'"
	switch {
	case name == "":
		return Errorf(EINVALID, "alias name is empty: %s", rule)
	case name == QualifierLatest:
		return Errorf(EINVALID, "alias name %q is reserved: it means the live alias", name)
	case len(name) > 63:
		return Errorf(EINVALID, "alias name %.20q... is %d characters long: %s", name, len(name), rule)
	case IsVersionNumber(name) || strings.Trim(name, "0123456789") == "":
		return Errorf(EINVALID, "alias name %q looks like a version number: a version is addressed by its number already; %s", name, rule)
	case name[0] == '-' || name[len(name)-1] == '-':
		return Errorf(EINVALID, "alias name %q starts or ends with '-': %s", name, rule)
	case strings.Contains(name, "--"):
		return Errorf(EINVALID, "alias name %q contains \"--\", which separates the alias from the function in ALIAS--NAME.DOMAIN: %s", name, rule)
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' {
			return Errorf(EINVALID, "alias name %q contains %q: %s", name, r, rule)
		}
	}
	return nil
}

// Validate checks a whole alias before it is stored: its name, that its
// versions are version numbers, and its weight.
func (a *Alias) Validate() error {
	if err := ValidateName(a.Function); err != nil {
		return err
	}
	if err := ValidateAliasName(a.Name); err != nil {
		return err
	}
	switch {
	case a.Version <= 0:
		return Errorf(EINVALID, "alias %q needs a version: give a version number (see \"lambda versions %s\")", a.Name, a.Function)
	case a.AdditionalVersion < 0:
		return Errorf(EINVALID, "additional version %d of alias %q is not a version number", a.AdditionalVersion, a.Name)
	case a.Weight != a.Weight || a.Weight < 0 || a.Weight > 1:
		return Errorf(EINVALID, "weight %v of alias %q is outside 0-1: give the share of traffic for version %d, e.g. 0.1 for 10%%", a.Weight, a.Name, a.AdditionalVersion)
	case a.AdditionalVersion == 0 && a.Weight != 0:
		return Errorf(EINVALID, "alias %q has a weight of %v but no additional version to send it to", a.Name, a.Weight)
	case a.AdditionalVersion != 0 && a.AdditionalVersion == a.Version:
		return Errorf(EINVALID, "alias %q sends a share of version %d's traffic to version %d itself: name another version", a.Name, a.Version, a.Version)
	case len(a.Description) > MaxAliasDescription:
		return Errorf(EINVALID, "description of alias %q is %d characters long, over %d", a.Name, len(a.Description), MaxAliasDescription)
	}
	return nil
}

// Versions returns the versions the alias serves: its version, and its
// additional version when it has one.
func (a *Alias) Versions() []int {
	if a.AdditionalVersion != 0 {
		return []int{a.Version, a.AdditionalVersion}
	}
	return []int{a.Version}
}

// IsVersionNumber reports whether q spells a version number as Lambda
// does: digits without a leading zero, not 0.
func IsVersionNumber(q string) bool {
	_, ok := VersionNumber(q)
	return ok
}

// VersionNumber reads q as a version number (see IsVersionNumber).
func VersionNumber(q string) (int, bool) {
	if q == "" || len(q) > 9 || q[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(q)
	return n, err == nil && n > 0 && strconv.Itoa(n) == q
}

// Qualifier is a parsed qualifier: what selects the version a request goes
// to. The zero Qualifier is the live alias.
type Qualifier struct {
	Alias   string // an alias name ("" with Version 0: live)
	Version int    // a version number, or 0
}

// ParseQualifier reads "" or $LATEST (the live alias), a version number, or
// an alias name; anything else is EINVALID.
func ParseQualifier(q string) (Qualifier, error) {
	switch {
	case q == "" || q == QualifierLatest || q == AliasLive:
		return Qualifier{}, nil
	case strings.Trim(q, "0123456789") == "":
		if n, ok := VersionNumber(q); ok {
			return Qualifier{Version: n}, nil
		}
		return Qualifier{}, Errorf(EINVALID, "qualifier %q is not a version number: versions are numbered from 1, without leading zeros", q)
	}
	if err := ValidateAliasName(q); err != nil {
		return Qualifier{}, Errorf(EINVALID, "qualifier %q is neither $LATEST, a version number nor an alias name: %w", q, err)
	}
	return Qualifier{Alias: q}, nil
}

// String spells the qualifier as a request would: "" for live.
func (q Qualifier) String() string {
	if q.Version != 0 {
		return strconv.Itoa(q.Version)
	}
	return q.Alias
}

// AliasService changes and reads a function's aliases. Setting an alias
// warms the versions it newly routes to before traffic moves, as a deploy
// does; setting live moves the active version.
type AliasService interface {
	// SetAlias creates or replaces an alias. Its versions must exist and
	// still have their images (ENOTFOUND, ECONFLICT).
	SetAlias(ctx context.Context, a *Alias) (*Alias, error)
	GetAlias(ctx context.Context, function, name string) (*Alias, error)
	// ListAliases lists the function's aliases, live first.
	ListAliases(ctx context.Context, function string) ([]*Alias, error)
	// DeleteAlias removes an alias; live cannot be removed (ECONFLICT).
	DeleteAlias(ctx context.Context, function, name string) error
	// Promote sends all of live's traffic to its additional version (a
	// canary's) and clears the split: that version becomes the active one.
	Promote(ctx context.Context, function string) (*Function, error)
}

// AliasStore persists aliases. Its live alias follows the function's
// active version: FunctionStore.PublishVersion and ActivateVersion point
// live at the version they activate and clear its split.
type AliasStore interface {
	// AddVersion records v without making it active (a canary's): the
	// function must exist (ENOTFOUND); ECONFLICT if v.Number exists.
	AddVersion(ctx context.Context, v *Version) error
	// SetAlias creates or replaces a, whose versions must exist
	// (ENOTFOUND); setting live also makes a.Version the active version.
	SetAlias(ctx context.Context, a *Alias) error
	FindAlias(ctx context.Context, function, name string) (*Alias, error)
	// ListAliases lists the function's aliases, live first, then by name.
	ListAliases(ctx context.Context, function string) ([]*Alias, error)
	DeleteAlias(ctx context.Context, function, name string) error
}

type qualifierKey struct{}

// WithQualifier returns ctx carrying the qualifier of an invocation, for
// the Router: the version or alias it goes to ("" or $LATEST: live).
func WithQualifier(ctx context.Context, q string) context.Context {
	if q == "" {
		return ctx
	}
	return context.WithValue(ctx, qualifierKey{}, q)
}

// QualifierFrom returns the qualifier WithQualifier put in ctx, "" if none.
func QualifierFrom(ctx context.Context) string {
	q, _ := ctx.Value(qualifierKey{}).(string)
	return q
}
