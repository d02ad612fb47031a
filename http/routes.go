package http

import (
	"net/http"

	"github.com/lambdahq/lambda"
)

// scopePublic marks a route that needs no key: /healthz and the gateway
// (functions are public unless deployed with --auth key, which the gateway
// checks itself).
const scopePublic = "public"

// scopeReadOrInvoke marks a route open to a key that may read, or invoke,
// the function concerned: an invocation's record by its ID, which the
// caller that submitted it follows (`lambda invoke --async --wait`) with
// the key it submitted with. Listings stay read scope: an ID is known to
// whoever submitted it, a listing would show an invoke key every other
// caller's events and responses.
const scopeReadOrInvoke = "read or invoke"

// scopeAnyKey marks a route open to any valid key, whatever its scope:
// GET /v1/version, which `lambda version` calls with whatever key the user
// has (as `docker version` needs the daemon's access, not a role).
const scopeAnyKey = "any key"

// keyAllows reports whether k may use a route of scope on function.
func keyAllows(k *lambda.Key, scope, function string) bool {
	if scope == scopeAnyKey {
		return true
	}
	if scope == scopeReadOrInvoke {
		return k.Allows(lambda.ScopeRead, function) || k.Allows(lambda.ScopeInvoke, function)
	}
	return k.Allows(scope, function)
}

// route is one registration of the route table: what it serves and what
// it takes to be allowed to.
type route struct {
	pattern string
	// scope is the lambda.Scope* a key needs, or scopePublic.
	scope string
	// function names the path value that holds the function the route acts
	// on ("" for none): a key limited to functions is checked against it.
	function string
	// action names a control-plane write for the audit log ("" for reads).
	action string
	// access says how its requests are logged (accesslog.go).
	access  accessPolicy
	handler http.HandlerFunc
}

// routeOpt refines a registration.
type routeOpt func(*route)

// onFunction says which path value names the route's function.
func onFunction(pathValue string) routeOpt { return func(rt *route) { rt.function = pathValue } }

// audited records every call of the route in the audit log as action.
func audited(action string) routeOpt { return func(rt *route) { rt.action = action } }

// route registers handler for pattern behind the access log and the
// middleware chain, and keeps the registration so that tests can walk
// every route.
func (s *Server) route(mux *http.ServeMux, pattern, scope string, handler http.HandlerFunc, opts ...routeOpt) {
	rt := route{pattern: pattern, scope: scope, handler: handler}
	for _, o := range opts {
		o(&rt)
	}
	s.registered = append(s.registered, rt)
	mux.Handle(pattern, s.accessLogged(rt, s.guard(rt)))
}

// knownScope reports whether scope is a rule the middleware enforces.
func knownScope(scope string) bool {
	switch scope {
	case scopePublic, scopeMetrics, scopeReadOrInvoke, scopeAnyKey, lambda.ScopeAdmin, lambda.ScopeDeploy, lambda.ScopeInvoke, lambda.ScopeRead:
		return true
	}
	return false
}
