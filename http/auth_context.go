package http

import (
	"context"

	"github.com/lambdahq/lambda"
)

type keyContextKey struct{}

// withKey returns ctx carrying the key the request authenticated with.
func withKey(ctx context.Context, k *lambda.Key) context.Context {
	return context.WithValue(ctx, keyContextKey{}, k)
}

// keyFrom returns the key the request authenticated with; nil on public
// routes (and in the open test mode).
func keyFrom(ctx context.Context) *lambda.Key {
	k, _ := ctx.Value(keyContextKey{}).(*lambda.Key)
	return k
}

// allowed reports whether the request's key grants scope on function. A
// request without a key got past the middleware only in the open test mode,
// where everything is allowed.
func allowed(ctx context.Context, scope, function string) bool {
	k := keyFrom(ctx)
	return k == nil || keyAllows(k, scope, function)
}

// authorizeFunction is for handlers whose function is known only from the
// body or the store (schedules): the middleware checked the scope, this
// checks the function.
func authorizeFunction(ctx context.Context, scope, function string) error {
	if allowed(ctx, scope, function) {
		return nil
	}
	return lambda.Errorf(lambda.EFORBIDDEN, "key %s may not act on function %q: create a key for it with `lambda keys create NAME --scope %s --function %s`", keyFrom(ctx).ID, function, scope, function)
}
