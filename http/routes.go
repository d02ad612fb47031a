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
	// key names the path value that holds the ID of the API key the route
	// acts on ("" for none): a refusal's audit entry names the key too.
	key string
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

// onKey says which path value names the API key the route acts on.
func onKey(pathValue string) routeOpt { return func(rt *route) { rt.key = pathValue } }

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

// routes is the route table: each registration names the scope a key
// needs (scopePublic: none), the path value naming the function it acts
// on, the audit action of a write, and whether it is the data path (not
// access-logged) or a probe (logged at debug level).
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	fn := onFunction("name")
	s.route(mux, "GET /healthz", scopePublic, s.handleHealth, probe())
	s.route(mux, "GET /metrics", scopeMetrics, s.handleMetrics, probe())
	s.route(mux, "/fn/{name}", scopePublic, s.handlePathInvoke, dataPath())
	s.route(mux, "/fn/{name}/{path...}", scopePublic, s.handlePathInvoke, dataPath())
	s.route(mux, "POST /v1/functions/{name}/deploy", lambda.ScopeDeploy, s.handleDeploy, fn, audited("deploy"))
	s.route(mux, "POST /v1/projects/{project}/deploy", lambda.ScopeDeploy, s.handleDeployProject, audited("project.deploy"))
	s.route(mux, "GET /v1/functions", lambda.ScopeRead, s.handleListFunctions)
	s.route(mux, "GET /v1/functions/{name}", lambda.ScopeRead, s.handleGetFunction, fn)
	s.route(mux, "DELETE /v1/functions/{name}", lambda.ScopeDeploy, s.handleDeleteFunction, fn, audited("delete"))
	s.route(mux, "GET /v1/functions/{name}/versions", lambda.ScopeRead, s.handleListVersions, fn)
	s.route(mux, "POST /v1/functions/{name}/rollback", lambda.ScopeDeploy, s.handleRollback, fn, audited("rollback"))
	s.route(mux, "PATCH /v1/functions/{name}/scaling", lambda.ScopeDeploy, s.handleScaling, fn, audited("config"))
	s.route(mux, "GET /v1/functions/{name}/logs", lambda.ScopeRead, s.handleLogs, fn)
	s.route(mux, "GET /v1/functions/{name}/stats", lambda.ScopeRead, s.handleStats, fn)
	s.route(mux, "POST /v1/functions/{name}/invoke", lambda.ScopeInvoke, s.handleInvoke, fn)
	s.route(mux, "POST /2015-03-31/functions/{function}/invocations", lambda.ScopeInvoke, s.handleLambdaInvoke, onFunction("function"), dataPath())
	// Asynchronous invocations (invocations.go). Submitting and redriving
	// run the function: invoke scope; the listing is read scope; a record
	// by ID is read or invoke scope, so that who submitted it may follow it.
	s.route(mux, "POST /v1/functions/{name}/invocations", lambda.ScopeInvoke, s.handleSubmitInvocation, fn)
	s.route(mux, "GET /v1/functions/{name}/invocations", lambda.ScopeRead, s.handleListInvocations, fn)
	s.route(mux, "POST /v1/functions/{name}/redrive", lambda.ScopeInvoke, s.handleRedrive, fn, audited("redrive"))
	s.route(mux, "GET /v1/invocations/{id}", scopeReadOrInvoke, s.handleGetInvocation)
	s.route(mux, "GET /v1/images", lambda.ScopeRead, s.handleListImages)
	s.route(mux, "GET /v1/runtimes", lambda.ScopeRead, s.handleListRuntimes)
	// Preparing builds images every function shares: the host's business.
	s.route(mux, "POST /v1/runtimes/prepare", lambda.ScopeAdmin, s.handlePrepareRuntimes, audited("runtimes.prepare"))
	// The schedule's function is in the body or the store: the handlers
	// check it (authorizeFunction).
	s.route(mux, "POST /v1/schedules", lambda.ScopeDeploy, s.handleCreateSchedule, audited("schedules.create"))
	s.route(mux, "GET /v1/schedules", lambda.ScopeRead, s.handleListSchedules)
	s.route(mux, "DELETE /v1/schedules/{id}", lambda.ScopeDeploy, s.handleDeleteSchedule, audited("schedules.delete"))
	s.route(mux, "POST /v1/keys", lambda.ScopeAdmin, s.handleCreateKey, audited("keys.create"))
	s.route(mux, "GET /v1/keys", lambda.ScopeAdmin, s.handleListKeys)
	s.route(mux, "DELETE /v1/keys/{id}", lambda.ScopeAdmin, s.handleRevokeKey, onKey("id"), audited("keys.revoke"))
	s.route(mux, "GET /v1/audit", lambda.ScopeAdmin, s.handleListAudit)
	// Any valid key may ask what it is (`lambda login` checks a key so):
	// read is the rule; an invoke key gets 403, which still proves it valid.
	s.route(mux, "GET /v1/whoami", lambda.ScopeRead, s.handleWhoami)
	s.route(mux, "GET /v1/version", scopeAnyKey, s.handleVersion)
	s.hookRoutes(mux)
	s.aliasRoutes(mux)
	s.awsRoutes(mux)
	s.uiRoutes(mux)
	s.route(mux, "/", scopePublic, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.ENOTFOUND, "no route for %s %s; functions answer at NAME.%s or /fn/NAME", r.Method, r.URL.Path, s.Domain))
	})
	return mux
}
