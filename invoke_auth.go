package lambda

import "context"

// Who may invoke a function by its URL (host name or /fn/NAME), as a
// Function URL's auth type: a setting of the function (Scaling.Auth),
// changed without a redeploy.
const (
	AuthNone = "none" // anyone who reaches the server (the default)
	AuthKey  = "key"  // a key with invoke scope for the function (Bearer)
)

// ValidateAuth checks a function's auth setting ("" is AuthNone).
func ValidateAuth(auth string) error {
	switch auth {
	case "", AuthNone, AuthKey:
		return nil
	}
	return Errorf(EINVALID, "auth %q is unknown: use %s (public) or %s (a key with invoke scope)", auth, AuthNone, AuthKey)
}

type invokeAuthKey struct{}

// InvokeAuthorizer decides whether the request behind ctx may invoke a
// private function.
type InvokeAuthorizer func(ctx context.Context, function string) error

// WithInvokeAuth returns ctx carrying the authorizer the router calls
// before it serves a private function. The router asks only for private
// functions, so public ones never pay for a key lookup.
func WithInvokeAuth(ctx context.Context, a InvokeAuthorizer) context.Context {
	return context.WithValue(ctx, invokeAuthKey{}, a)
}

// AuthorizeInvoke is what a router calls for a private function: without
// an authorizer in ctx, the request is refused.
func AuthorizeInvoke(ctx context.Context, function string) error {
	if a, ok := ctx.Value(invokeAuthKey{}).(InvokeAuthorizer); ok && a != nil {
		return a(ctx, function)
	}
	return Errorf(EUNAUTHORIZED, "function %q is private: send Authorization: Bearer KEY with a key of invoke scope for it", function)
}
